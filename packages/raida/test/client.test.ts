/**
 * RaidaClient unit tests over an in-test transport (virtual time): reply matching (RAIDA id + echo
 * + signature, unsigned error replies), batching above one datagram, configurable quorum, and
 * pown never retried. The fake RAIDA here is 20 lines of codec calls, independent of
 * simulators/raida.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock, type DatagramAddress, type DatagramTransport } from '@fanout/core';
import {
  decodeDetectPayload,
  decodePownPayload,
  decodeRequest,
  encodeBitfield,
  encodeModernResponse,
  encodeResponse,
  gradeVotes,
  RAIDA_COUNT,
  RaidaClient,
  Status,
  type Coin,
  type RaidaClientOptions,
  type Vote,
} from '../src/index.js';
import { seededRng } from './rng.js';

const PORT = 50000;
/**
 * - stale: every request answered 7 (a header error) with the PREVIOUS request's echo and challenge,
 *   as raidax-server's reused UDP slot sends it (0 / zeros before the first);
 * - staleRace: the first datagram answered honestly after 5 ms, the second with a stale 7 (the first
 *   one's echo and challenge) after 1 ms, so the stale reply arrives while the first still waits;
 * - modern: answered 27 in the 48-byte layout (what raidax-server sends for encryption types ≥ 3).
 */
type Mode =
  'honest' | 'silent' | 'errorUnsigned' | 'errorBadSig' | 'spoof' | 'stale' | 'staleRace' | 'modern';

/** 25 RAIDA answering detect/pown from `ans[r]` (the AN each holds per coin), 1 ms later. */
function cluster(coins: readonly Coin[], modes: (r: number) => Mode = () => 'honest') {
  const clock = new VirtualClock();
  const held = Array.from({ length: RAIDA_COUNT }, (_, r) => coins.map((c) => c.ans[r]!.slice()));
  const listeners = new Set<(b: Uint8Array, from: DatagramAddress) => void>();
  const sent: number[] = new Array<number>(RAIDA_COUNT).fill(0);
  const prev = Array.from({ length: RAIDA_COUNT }, () => ({
    echo: 0,
    signature: new Uint8Array(16) as Uint8Array,
  }));
  const transport: DatagramTransport = {
    send: (to, bytes) => {
      const r = to.port - PORT;
      sent[r]!++;
      const mode = modes(r);
      if (mode === 'silent') return;
      const req = decodeRequest(bytes, { raidaId: r });
      const h = req.header;
      const last = prev[r]!;
      prev[r] = { echo: h.echo, signature: req.signature };
      const deliver = (reply: Uint8Array, ms: number) =>
        clock.setTimer(() => listeners.forEach((l) => l(reply, to)), ms);
      const staleReply = () =>
        encodeResponse({ raidaId: r, status: Status.INVALID_COIN_ID, group: h.group, ...last });
      if (mode === 'stale' || (mode === 'staleRace' && sent[r] === 2)) {
        deliver(staleReply(), 1);
        return;
      }
      if (mode === 'modern') {
        deliver(encodeModernResponse({ raidaId: r, status: 27, group: h.group, encryption: 3 }), 1);
        return;
      }
      let status: number;
      let body: Uint8Array | undefined;
      let signature = req.signature;
      if (mode === 'errorUnsigned' || mode === 'errorBadSig') {
        status = Status.INVALID_COIN_ID;
        signature = mode === 'errorUnsigned' ? new Uint8Array(16) : new Uint8Array(16).fill(7);
      } else {
        const pown = h.command === 20;
        const items = pown ? decodePownPayload(req.payload) : decodeDetectPayload(req.payload);
        const pass = items.map((t) => {
          const i = coins.findIndex((c) => c.sn === t.sn);
          const ok = i >= 0 && held[r]![i]!.every((b, k) => b === t.an[k]);
          if (ok && 'pan' in t) held[r]![i] = (t.pan as Uint8Array).slice();
          return ok;
        });
        status = pass.every(Boolean) ? 241 : pass.some(Boolean) ? 243 : 242;
        body = status === 243 ? encodeBitfield(pass) : undefined;
      }
      const reply = encodeResponse({
        raidaId: mode === 'spoof' ? (r + 1) % RAIDA_COUNT : r,
        status,
        group: h.group,
        echo: h.echo,
        signature,
        body,
      });
      deliver(reply, mode === 'staleRace' ? 5 : 1);
    },
    onMessage: (l) => (listeners.add(l), () => listeners.delete(l)),
    close: async () => {},
  };
  const client = (o: Partial<RaidaClientOptions> = {}) =>
    new RaidaClient({ transport, rng: seededRng(3), clock, timeoutMs: 100, ...o });
  return { clock, client, sent, held };
}

function mint(n: number, seed = 1): Coin[] {
  const rng = seededRng(seed);
  return Array.from({ length: n }, (_, i) => ({
    den: 1,
    sn: 1000 + i,
    ans: Array.from({ length: RAIDA_COUNT }, () => rng(16)),
  }));
}

describe('gradeVotes and the quorum option', () => {
  it('authentic / fracked / counterfeit / limbo at the quorum boundary', () => {
    const v = (p: number, f: number): Vote[] => [
      ...new Array<Vote>(p).fill('pass'),
      ...new Array<Vote>(f).fill('fail'),
      ...new Array<Vote>(RAIDA_COUNT - p - f).fill('noReply'),
    ];
    expect(gradeVotes(v(13, 0))).toBe('authentic');
    expect(gradeVotes(v(12, 0))).toBe('limbo');
    expect(gradeVotes(v(13, 1))).toBe('fracked');
    expect(gradeVotes(v(2, 13))).toBe('counterfeit');
    expect(gradeVotes(v(12, 0), 12)).toBe('authentic');
    expect(gradeVotes(v(13, 0), 14)).toBe('limbo');
  });
  it('rejects a quorum outside 1..25 and a wrong address count', () => {
    const { client } = cluster([]);
    expect(() => client({ quorum: 0 })).toThrow(RangeError);
    expect(() => client({ quorum: 26 })).toThrow(/quorum/);
    expect(() => client({ addresses: [] })).toThrow(/addresses/);
  });
  it.each([12, 13, 14])('quorum %i: exactly that many answering RAIDA make a coin authentic', async (q) => {
    for (const answering of [q - 1, q]) {
      const coins = mint(3);
      const { client } = cluster(coins, (r) => (r < answering ? 'honest' : 'silent'));
      const report = await client({ quorum: q }).detect(coins);
      expect(report.tokens.map((t) => t.grade)).toEqual(
        new Array(3).fill(answering >= q ? 'authentic' : 'limbo'),
      );
    }
  });
});

describe('reply matching', () => {
  it('an error status with a zero signature (header error, sent before the challenge is read) is an error vote', async () => {
    const coins = mint(2);
    const { client } = cluster(coins, (r) => (r === 4 ? 'errorUnsigned' : 'honest'));
    const c = client();
    const report = await c.detect(coins);
    for (const t of report.tokens) {
      expect(t.votes[4]).toBe('error');
      expect(t.grade).toBe('authentic');
    }
    expect(c.stats.badSignature).toBe(0);
  });
  it('an error status with a wrong non-zero signature is dropped (noReply), as is a spoofed RAIDA id', async () => {
    const coins = mint(2);
    const { client } = cluster(coins, (r) => (r === 4 ? 'errorBadSig' : r === 9 ? 'spoof' : 'honest'));
    const c = client({ retry: { attempts: 1 } });
    const report = await c.detect(coins);
    for (const t of report.tokens) {
      expect(t.votes[4]).toBe('noReply');
      expect(t.votes[9]).toBe('noReply');
    }
    expect(c.stats.badSignature).toBe(1);
    expect(c.stats.unmatched).toBeGreaterThanOrEqual(1);
  });
});

describe('stale error replies (raidax-server answers header errors from a reused slot)', () => {
  it("a RAIDA whose error replies carry the previous request's echo and challenge votes noReply, never error/pass/fail", async () => {
    const coins = mint(3);
    const stale = new Set([0, 5, 6, 7]);
    const { client } = cluster(coins, (r) => (stale.has(r) ? 'stale' : 'honest'));
    const c = client({ retry: { attempts: 2 } });
    const report = await c.detect(coins);
    for (const t of report.tokens) {
      t.votes.forEach((v, r) => expect(v).toBe(stale.has(r) ? 'noReply' : 'pass'));
      expect(t.grade).toBe('authentic');
    }
    // The very first reply carries echo 0 and zeros (a slot that never served): unmatched;
    // the retry's reply carries the first attempt's echo, no longer waited for: unmatched too.
    expect(c.stats.unmatched).toBeGreaterThanOrEqual(stale.size);
    expect(c.stats.replies).toBe(RAIDA_COUNT - stale.size);
  });
  it('with 13 RAIDA answering stale errors the 12 honest passes grade limbo, never authentic', async () => {
    const coins = mint(2);
    const { client } = cluster(coins, (r) => (r < 13 ? 'stale' : 'honest'));
    const report = await client({ retry: { attempts: 1 } }).detect(coins);
    for (const t of report.tokens) {
      expect(t.passes).toBe(12);
      expect(t.grade).toBe('limbo');
    }
  });
  it("a stale error that matches the still-waiting previous request (id, echo AND challenge) is dropped, not taken as that request's answer", async () => {
    // Two detects at once on one client: RAIDA 3 serves the first one's datagram, then answers the
    // second's with a header error carrying the first one's echo and challenge — which arrives
    // first, while the first detect still waits for RAIDA 3.
    const coins = mint(2);
    const { client } = cluster(coins, (r) => (r === 3 ? 'staleRace' : 'honest'));
    const c = client({ retry: { attempts: 1 } });
    const [first, second] = await Promise.all([c.detect(coins.slice(0, 1)), c.detect(coins.slice(1))]);
    expect(first.tokens[0]!.votes[3]).toBe('pass');
    expect(second.tokens[0]!.votes[3]).toBe('noReply');
    expect([...first.tokens, ...second.tokens].every((t) => t.grade === 'authentic')).toBe(true);
    expect(c.stats.stale).toBe(1);
  });
  it('a 48-byte modern-layout reply (encryption types ≥ 3) cannot be matched: malformed, noReply', async () => {
    const coins = mint(1);
    const { client } = cluster(coins, (r) => (r === 2 ? 'modern' : 'honest'));
    const c = client({ retry: { attempts: 1 } });
    const report = await c.detect(coins);
    expect(report.tokens[0]!.votes[2]).toBe('noReply');
    expect(c.stats.malformed).toBe(1);
  });
});

describe('batching above one datagram', () => {
  it('detect of 100 tokens: two datagrams per RAIDA, every token graded (fracked ones too)', async () => {
    const coins = mint(100);
    const client = mint(100).map((c, i) => ({ ...coins[i]!, ans: coins[i]!.ans })); // same ANs
    client[70] = { ...client[70]!, ans: client[70]!.ans.map((a, r) => (r < 3 ? a.map((b) => b ^ 1) : a)) };
    const { client: make, sent } = cluster(coins);
    const report = await make().detect(client);
    expect(sent.every((n) => n === 2)).toBe(true);
    expect(report.tokens.filter((t) => t.grade === 'authentic')).toHaveLength(99);
    expect(report.tokens[70]!.grade).toBe('fracked');
    expect(report.tokens[70]!.votes.slice(0, 4)).toEqual(['fail', 'fail', 'fail', 'pass']);
  });
  it('pown of 50 tokens: two datagrams per RAIDA, never retried even when a RAIDA is silent', async () => {
    const coins = mint(50);
    const pans = coins.map(() => Array.from({ length: RAIDA_COUNT }, () => new Uint8Array(16).fill(9)));
    const { client, sent, held } = cluster(coins, (r) => (r === 0 ? 'silent' : 'honest'));
    const report = await client({ retry: { attempts: 3 } }).pown(coins, pans);
    expect(sent).toEqual(new Array(RAIDA_COUNT).fill(2));
    expect(report.limbo.every((l) => l.length === 1 && l[0] === 0)).toBe(true);
    expect(report.tokens.every((t) => t.grade === 'authentic')).toBe(true);
    expect(held[1]![49]).toEqual(pans[49]![1]);
  });
});
