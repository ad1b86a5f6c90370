/**
 * Live UDP targets: the 25 fake RAIDA (simulators/raida live) and a 10-node DHT swarm
 * (simulators/dht live). A round sends mutated datagrams from one socket on 127.0.0.1; replies
 * are decoded (a reply a client cannot decode is a finding). After each round the canary is read
 * back: the RAIDA canary token must still grade authentic on all 25 (a detect over the real
 * client), the DHT canary value must still be found from node 0 (a lookup in the child).
 */
import dgram from 'node:dgram';
import fc from 'fast-check';
import { realClock, type DatagramAddress } from '@fanout/core';
import { openUdpTransport } from '@fanout/core/live';
import {
  buildRequest,
  decodeModernResponse,
  decodeResponse,
  encodeDetectPayload,
  encodeFindPayload,
  encodeFixPayload,
  encodeGetTicketPayload,
  encodePownPayload,
  encodeValidateTicketPayload,
  RaidaClient,
  type CommandName,
} from '@fanout/raida';
import { createRng, rngBytesFn } from '@fanout/sim';
import {
  decodeFrame,
  encodeFrame,
  fragmentFrame,
  peekFrame,
  type DhtReply,
  type DhtRequest,
} from '@fanout/sim-dht';
import { bytesInput } from '../mutate.js';
import { treeInput } from '../tree-mutate.js';
import type { ServerProcess } from './process.js';
import { printable, type LiveRecorder } from './report.js';
import type { LiveSession } from './session.js';

const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

/** A UDP socket on 127.0.0.1 that counts replies and hands them to `onReply`. */
async function fuzzSocket(onReply: (msg: Uint8Array, from: DatagramAddress) => void): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  socket.setRecvBufferSize(8 * 1024 * 1024);
  socket.on('message', (m, r) => onReply(new Uint8Array(m), { host: r.address, port: r.port }));
  socket.on('error', () => undefined);
  return socket;
}

/** Datagrams the fuzzer may have in flight before it waits for the server to read them. */
const BACKLOG = 500;

/**
 * Send datagrams paced to what the server reads (its child counts the datagrams its sockets
 * receive): every 100 sends, wait while more than {@link BACKLOG} are unread — for at most 2 s,
 * after which the rest counts as lost. Without pacing the kernel drops what a busy server has
 * not read yet, and the server never sees most of the inputs.
 */
async function blast(
  socket: dgram.Socket,
  items: readonly { bytes: Uint8Array; to: DatagramAddress }[],
  rec: LiveRecorder,
  proc: ServerProcess,
): Promise<void> {
  const base = await proc.ask<number>('received');
  for (let i = 0; i < items.length; i++) {
    const { bytes, to } = items[i]!;
    socket.send(bytes, to.port, to.host);
    rec.sent++;
    if (i % 100 !== 99) continue;
    const waitUntil = performance.now() + 2000;
    while (i + 1 - ((await proc.ask<number>('received')) - base) > BACKLOG && performance.now() < waitUntil)
      await new Promise((r) => setTimeout(r, 2));
  }
  await new Promise((r) => setTimeout(r, 200)); // late replies
  rec.count('datagrams read by the server', (await proc.ask<number>('received')) - base);
}

interface TokenJson {
  readonly den: number;
  readonly sn: number;
  readonly ans: readonly string[];
}

/** The RAIDA cluster's session. */
export async function raidaSession(proc: ServerProcess, seed: number): Promise<LiveSession> {
  const info = proc.info as { addresses: DatagramAddress[]; canary: TokenJson; corpus: TokenJson[] };
  let rec: LiveRecorder | undefined;
  let malformed = 0;
  const socket = await fuzzSocket((msg) => {
    if (rec === undefined) return;
    rec.answered++;
    try {
      rec.count(`reply status ${decodeResponse(msg).status}`);
    } catch {
      try {
        decodeModernResponse(msg);
        rec.count('reply (48-byte modern header)');
      } catch (e) {
        rec.count('reply undecodable');
        if (malformed++ < 3)
          rec.find({
            kind: 'malformed-reply',
            detail: `a client cannot decode a reply: ${(e as Error).message}`,
            input: printable(msg),
            bytes: msg,
          });
      }
    }
  });
  const rng = createRng(seed).fork('live:raida-corpus');
  const bytes = rngBytesFn(rng);
  const coins = info.corpus.map((t) => ({ den: t.den, sn: t.sn, ans: t.ans.map(fromHex) }));
  const corpus: Uint8Array[] = [];
  const commands: CommandName[] = ['echo', 'detect', 'pown', 'getTicket', 'validateTicket', 'find', 'fix'];
  for (let raidaId = 0; raidaId < 25; raidaId += 3) {
    const tokens = coins.map((c) => ({ den: c.den, sn: c.sn, an: c.ans[raidaId]! }));
    const payload: Record<CommandName, Uint8Array> = {
      echo: new Uint8Array(0),
      detect: encodeDetectPayload(tokens),
      pown: encodePownPayload(tokens.map((t) => ({ ...t, pan: rng.bytes(16) }))),
      getTicket: encodeGetTicketPayload(tokens),
      validateTicket: encodeValidateTicketPayload({ raidaId: (raidaId + 1) % 25, ticket: rng.nextU32() }),
      find: encodeFindPayload(tokens.map((t) => ({ ...t, pan: rng.bytes(16) }))),
      fix: encodeFixPayload({
        coins: tokens,
        pg: rng.bytes(16),
        tickets: new Array<number>(25).fill(0).map(() => rng.nextU32()),
      }),
    };
    for (const name of commands) {
      corpus.push(buildRequest(name, payload[name], { raidaId, echo: rng.int(0, 0xffff), rng: bytes }).bytes);
      const key = { den: tokens[0]!.den, sn: tokens[0]!.sn, an: tokens[0]!.an };
      corpus.push(
        buildRequest(name, payload[name], {
          raidaId,
          echo: rng.int(0, 0xffff),
          rng: bytes,
          encryption: 1,
          key,
        }).bytes,
      );
    }
  }
  const arb = fc.tuple(bytesInput({ corpus, maxRandom: 1500 }), fc.nat({ max: 24 }), fc.nat({ max: 9 }));
  const canary = { den: info.canary.den, sn: info.canary.sn, ans: info.canary.ans.map(fromHex) };
  const startState = (await proc.ask<{ canaryAns: string }>('state')).canaryAns;
  return {
    async round(round, count, roundSeed, r) {
      rec = r;
      const items = fc.sample(arb, { seed: roundSeed | 0, numRuns: count }).map(([d, other, pick]) => ({
        bytes: d,
        // Mostly the RAIDA the datagram names, sometimes another one.
        to: info.addresses[pick === 0 ? other : (d[2] ?? 0) % 25]!,
      }));
      await blast(socket, items, r, proc);
    },
    async check(_round, r) {
      const transport = await openUdpTransport();
      const client = new RaidaClient({
        transport,
        rng: rngBytesFn(createRng(seed).fork('check')),
        clock: realClock,
        addresses: info.addresses,
        timeoutMs: 2000,
        retry: { attempts: 2 },
      });
      try {
        const report = await client.detect([canary]);
        const t = report.tokens[0]!;
        const passes = t.votes.filter((v) => v === 'pass').length;
        if (t.grade !== 'authentic' || passes < 25)
          r.find({
            kind: 'canary',
            detail: `canary token graded ${t.grade} with ${passes}/25 passes (votes ${t.votes.join(',')})`,
          });
        const state = await proc.ask<{ canaryAns: string; internalErrors: number; requests: number }>(
          'state',
        );
        if (state.canaryAns !== startState)
          r.find({ kind: 'canary', detail: 'the canary token’s ANs changed on some RAIDA' });
        return `canary ${t.grade} ${passes}/25; server saw ${state.requests} datagrams, ${state.internalErrors} internal errors`;
      } finally {
        client.close();
        await transport.close();
      }
    },
    close: async () => {
      socket.close();
    },
  };
}

/** Hosts a reply's contact list may name: loopback literals and junk that never resolves. */
const SAFE_HOSTS = [
  '127.0.0.1',
  '127.0.0.2',
  '::1',
  '',
  'localhost',
  '0.0.0.0',
  '127.0.0.1:80',
  'x'.repeat(300),
];

/** The DHT swarm's session. */
export async function dhtSession(proc: ServerProcess, seed: number): Promise<LiveSession> {
  const info = proc.info as {
    nodes: { id: string; address: DatagramAddress }[];
    canary: { key: string; holdersAtStart: number; lookupMsAtStart: number };
  };
  const rng = createRng(seed).fork('live:dht-corpus');
  const ids = info.nodes.map((n) => fromHex(n.id));
  const randomId = (): Uint8Array => rng.bytes(20);
  const value = () => ({ id: BigInt(rng.nextU32()), seq: rng.int(0, 3), data: rng.bytes(rng.int(0, 64)) });
  const requests: DhtRequest[] = [
    { type: 'ping' },
    { type: 'findNode', target: randomId() },
    { type: 'get', key: randomId() },
    { type: 'put', key: randomId(), value: value(), ttlMs: 60_000 },
    { type: 'put', key: randomId(), value: { ...value(), owner: rng.bytes(32), signature: rng.bytes(64) } },
    { type: 'listen', key: randomId(), token: 1 },
    { type: 'cancelListen', key: randomId(), token: 1 },
    { type: 'update', key: randomId(), token: 1, values: [value()], expired: false },
  ];
  const corpus = requests.flatMap((msg, i) => [
    encodeFrame({ kind: 'request', rid: i, from: ids[i % ids.length]!, msg }), // a real node's id: spoofing
    encodeFrame({ kind: 'request', rid: i, from: randomId(), msg }),
  ]);
  const replies: unknown[] = [
    { type: 'nodes', nodes: [randomId()] },
    { type: 'values', values: [value()], nodes: [randomId()] },
    { type: 'pong' },
  ];
  const replyArb = treeInput(
    replies.map((msg) => ({ msg, contacts: [{ host: '127.0.0.1', port: 9 }] })),
    { binary: true, keys: ['nodes', 'values', 'contacts', 'host', 'port', 'type'] },
  );
  let replySeq = seed;
  let rec: LiveRecorder | undefined;
  let socket: dgram.Socket | undefined;
  // Requests the nodes send to the fuzzer's address (learned for spoofed ids) get mutated replies.
  let malformed = 0;
  socket = await fuzzSocket((msg, from) => {
    if (rec === undefined) return;
    rec.answered++;
    const head = peekFrame(msg);
    if (head?.kind === 'reply') {
      try {
        const f = decodeFrame(msg) as { msg: { type?: unknown; code?: unknown } };
        rec.count(`reply ${String(f.msg.type)}${f.msg.type === 'error' ? ` ${String(f.msg.code)}` : ''}`);
      } catch (e) {
        rec.count('reply undecodable');
        if (malformed++ < 3)
          rec.find({
            kind: 'malformed-reply',
            detail: `a node sent a reply frame that does not decode: ${(e as Error).message}`,
            input: printable(msg),
            bytes: msg,
          });
      }
      return;
    }
    if (head === undefined) {
      rec.count(msg.length >= 4 && msg[3] === 0x46 ? 'reply fragment' : 'not a frame');
      return;
    }
    rec.count('requests from nodes');
    if ((replySeq++ & 1) === 0) return;
    const rid = new DataView(msg.buffer, msg.byteOffset).getUint32(6);
    const [body] = fc.sample(replyArb, { seed: replySeq | 0, numRuns: 1 }) as [
      { msg?: unknown; contacts?: unknown },
    ];
    const contacts = Array.isArray(body?.contacts)
      ? body.contacts.map((c: { host?: unknown; port?: unknown }, i: number) => ({
          id: randomId(),
          host: SAFE_HOSTS[i % SAFE_HOSTS.length]!,
          port: typeof c?.port === 'number' ? c.port : 9,
        }))
      : [];
    try {
      const reply = encodeFrame({
        kind: 'reply',
        rid,
        from: randomId(),
        msg: (body?.msg ?? {}) as DhtReply,
        contacts,
      });
      socket!.send(reply, from.port, from.host);
      rec.count('mutated replies sent to nodes');
    } catch {
      rec.count('reply not encodable');
    }
  });
  /** Fragments of incomplete 127-part messages (the reassembly bound must hold them in check). */
  const fragments = (n: number): Uint8Array[] => {
    const out: Uint8Array[] = [];
    for (let m = 0; out.length < n; m++) {
      const parts = fragmentFrame(new Uint8Array(127 * 8192).fill(m & 0xff), rng.nextU32());
      out.push(...parts.slice(0, Math.min(parts.length - 1, n - out.length)));
    }
    return out;
  };
  const arb = fc.tuple(bytesInput({ corpus, maxRandom: 1200 }), fc.nat({ max: ids.length - 1 }));
  return {
    async round(round, count, roundSeed, r) {
      rec = r;
      const flood = Math.floor(count / 10);
      const frames = fc.sample(arb, { seed: roundSeed | 0, numRuns: count - flood });
      const items = [
        ...frames.map(([bytes, node]) => ({ bytes, to: info.nodes[node]!.address })),
        ...fragments(flood).map((bytes, i) => ({ bytes, to: info.nodes[i % info.nodes.length]!.address })),
      ];
      await blast(socket!, items, r, proc);
    },
    async check(_round, r) {
      const got = await proc.ask<{ found: boolean; holders: number[]; lookupMs: number[] }>(
        'check',
        120_000,
        1,
      );
      if (!got.found)
        r.find({
          kind: 'canary',
          detail: `node 0 no longer finds the canary value (holders ${got.holders.join('/')}, was ${info.canary.holdersAtStart})`,
        });
      const stats = await proc.ask<Record<string, number>>('state');
      return `canary ${got.found ? 'found' : 'LOST'} (lookup from node 0: ${got.holders.join('/')} holders, ${got.lookupMs.join('/')} ms; ${info.canary.holdersAtStart} holders before fuzzing); served ${stats.served}, bad frames ${stats.badFrames}, address conflicts ${stats.addressConflicts}, evicted ${stats.evicted}`;
    },
    // The attacker leaves (its socket closes): contacts it planted stop answering and must be
    // evicted, so lookups stop waiting out the RPC timeout (1000 ms, DEFAULT_RPC_TIMEOUT_MS).
    async afterRounds(r) {
      socket?.close();
      socket = undefined;
      const got = await proc.ask<{ found: boolean; holders: number[]; lookupMs: number[] }>(
        'check',
        120_000,
        4,
      );
      const last = got.lookupMs.at(-1)!;
      const line = `attacker gone, 4 lookups from node 0: ${got.lookupMs.join('/')} ms (${info.canary.holdersAtStart} holders before fuzzing, ${got.holders.at(-1)} now)`;
      if (!got.found) r.find({ kind: 'canary', detail: `node 0 no longer finds the canary value — ${line}` });
      if (last >= 1000)
        r.find({
          kind: 'degraded',
          detail: `node 0 still waits out dead contacts after the attacker left — ${line}; before fuzzing a lookup took ${info.canary.lookupMsAtStart} ms`,
        });
      return line;
    },
    close: async () => {
      socket?.close();
    },
  };
}
