import { VirtualClock } from '@fanout/core';
import { Swarm, type DhtValue } from '@fanout/sim-dht';
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, test } from 'vitest';
import {
  OUTBOX_VALUE_ID,
  OutboxLimitError,
  decodeOutbox,
  encodeOutbox,
  memoizedVerifier,
  newestSignedValue,
  outboxInfoHash,
  queueMessage,
  readOutbox,
  signValue,
  verifySignedValue,
  type QueueMessageOptions,
  type SignedValue,
} from '../src/index.js';

const SENDER = '1'.repeat(128);
const RECIPIENT = '2'.repeat(128);
const aliceSk = new Uint8Array(32).fill(3);
const mallorySk = new Uint8Array(32).fill(4);
const ct = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill);
const opts = (now: number, extra: Partial<QueueMessageOptions> = {}): QueueMessageOptions => ({
  sender: SENDER,
  recipient: RECIPIENT,
  secretKey: aliceSk,
  nowSeconds: now,
  ...extra,
});

function catchError(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('queueMessage (sender read-modify-write)', () => {
  test('a new outbox gets seq 0; each queue raises it by one and appends', () => {
    const a = queueMessage(undefined, { ciphertext: ct(10), seq: 1n }, opts(1000));
    expect(a.value.id).toBe(OUTBOX_VALUE_ID);
    expect(a.value.seq).toBe(0);
    expect(a.key).toEqual(outboxInfoHash(SENDER, RECIPIENT));
    expect(verifySignedValue(a.key, a.value)).toBe(true);
    expect(a.messages.map((m) => [m.seq, m.timestamp, m.expiry])).toEqual([[1n, 1000n, 1000n + 604800n]]);
    const b = queueMessage(a.value, { ciphertext: ct(5, 2), seq: 2n, ttlSeconds: 60 }, opts(1010));
    expect(b.value.seq).toBe(1);
    const decoded = decodeOutbox(b.value.data);
    expect(
      decoded.map((m) => [m.version, m.seq, m.expiry, m.sender, m.recipient, m.ciphertext.length]),
    ).toEqual([
      [2, 1n, 1000n + 604800n, SENDER, RECIPIENT, 10],
      [2, 2n, 1070n, SENDER, RECIPIENT, 5],
    ]);
  });

  test('expired messages are pruned (expiry < now), delivered ones by the watermark', () => {
    let v = queueMessage(undefined, { ciphertext: ct(1), seq: 1n, ttlSeconds: 10 }, opts(100)).value; // expiry 110
    v = queueMessage(v, { ciphertext: ct(1), seq: 2n, ttlSeconds: 100 }, opts(100)).value; // expiry 200
    v = queueMessage(v, { ciphertext: ct(1), seq: 3n }, opts(100)).value;
    const atExpiry = queueMessage(v, { ciphertext: ct(1), seq: 4n }, opts(110));
    expect(atExpiry.pruned).toEqual({ expired: 0, delivered: 0 }); // expiry == now is still valid
    const later = queueMessage(v, { ciphertext: ct(1), seq: 4n }, opts(111, { watermark: 2n }));
    expect(later.pruned).toEqual({ expired: 1, delivered: 1 });
    expect(later.messages.map((m) => m.seq)).toEqual([3n, 4n]);
  });

  test('caps: 1000 messages fit, the 1001st is OutboxLimitError(messages); 64 KiB value cap is exact', () => {
    const limits = { maxValueBytes: 1 << 20 };
    const key = outboxInfoHash(SENDER, RECIPIENT);
    const msgs999 = Array.from({ length: 999 }, (_, i) => ({
      seq: BigInt(i),
      timestamp: 5n,
      expiry: 1000n,
      sender: SENDER,
      recipient: RECIPIENT,
      ciphertext: ct(1),
    }));
    const full = queueMessage(
      signValue(key, { id: 1n, seq: 0, data: encodeOutbox(msgs999, limits) }, aliceSk),
      { ciphertext: ct(1), seq: 999n },
      opts(5, { limits }),
    );
    const v = full.value;
    expect(decodeOutbox(v.data, limits).length).toBe(1000);
    expect(
      catchError(() => queueMessage(v, { ciphertext: ct(1), seq: 1000n }, opts(5, { limits }))),
    ).toMatchObject({ name: 'OutboxLimitError', limit: 'messages', actual: 1001 });
    // One message of 128+128 identity bytes: 4 + 37 + 256 + ciphertext.
    expect(queueMessage(undefined, { ciphertext: ct(65536 - 297), seq: 0n }, opts(5)).value.data.length).toBe(
      65536,
    );
    const e = catchError(() => queueMessage(undefined, { ciphertext: ct(65536 - 296), seq: 0n }, opts(5)));
    expect(e).toBeInstanceOf(OutboxLimitError);
    expect(e).toMatchObject({ limit: 'valueBytes', actual: 65537, max: 65536 });
  });

  test('refuses an outbox owned by someone else, a forged one, bad fingerprints and an empty ciphertext', () => {
    const mine = queueMessage(undefined, { ciphertext: ct(1), seq: 1n }, opts(5)).value;
    const theirs = queueMessage(
      undefined,
      { ciphertext: ct(1), seq: 1n },
      opts(5, { secretKey: mallorySk }),
    ).value;
    expect(catchError(() => queueMessage(theirs, { ciphertext: ct(1), seq: 2n }, opts(6)))).toMatchObject({
      name: 'OutboxOwnerError',
      field: 'owner',
    });
    expect(
      catchError(() => queueMessage({ ...mine, seq: 7 }, { ciphertext: ct(1), seq: 2n }, opts(6))),
    ).toMatchObject({ name: 'OutboxOwnerError', field: 'signature' });
    expect(
      catchError(() =>
        queueMessage(undefined, { ciphertext: ct(1), seq: 2n }, opts(6, { sender: 'A'.repeat(128) })),
      ),
    ).toMatchObject({ name: 'FingerprintError', field: 'sender' });
    expect(catchError(() => queueMessage(undefined, { ciphertext: ct(0), seq: 2n }, opts(6)))).toMatchObject({
      name: 'OutboxEncodeError',
      field: 'ciphertext',
    });
    expect(catchError(() => queueMessage(undefined, { ciphertext: ct(1), seq: -2n }, opts(6)))).toMatchObject(
      { name: 'OutboxEncodeError', field: 'seq' },
    );
  });

  test('a corrupt current value throws by default, or is reset on request', () => {
    const key = outboxInfoHash(SENDER, RECIPIENT);
    const corrupt = signValue(key, { id: 1n, seq: 4, data: Uint8Array.of(0, 0, 0, 1, 9) }, aliceSk);
    expect(catchError(() => queueMessage(corrupt, { ciphertext: ct(1), seq: 1n }, opts(5)))).toMatchObject({
      name: 'OutboxDecodeError',
      field: 'magic',
    });
    const reset = queueMessage(corrupt, { ciphertext: ct(1), seq: 1n }, opts(5, { onCorrupt: 'reset' }));
    expect(reset.value.seq).toBe(5);
    expect(reset.messages.length).toBe(1);
  });

  test('readOutbox keeps expiry >= now and checks the owner', () => {
    let v = queueMessage(undefined, { ciphertext: ct(1), seq: 1n, ttlSeconds: 10 }, opts(100)).value;
    v = queueMessage(v, { ciphertext: ct(1), seq: 2n, ttlSeconds: 20 }, opts(100)).value;
    const read = (now: number): bigint[] =>
      readOutbox(v, { sender: SENDER, recipient: RECIPIENT, nowSeconds: now }).map((m) => m.seq);
    expect(read(110)).toEqual([1n, 2n]);
    expect(read(111)).toEqual([2n]);
    expect(read(121)).toEqual([]);
    expect(
      catchError(() =>
        readOutbox(v, {
          sender: SENDER,
          recipient: RECIPIENT,
          nowSeconds: 0,
          owner: ed25519.getPublicKey(mallorySk),
        }),
      ),
    ).toMatchObject({ field: 'owner' });
    expect(
      catchError(() => readOutbox(v, { sender: RECIPIENT, recipient: SENDER, nowSeconds: 0 })),
    ).toMatchObject({ field: 'signature' });
  });
});

describe('outboxes on the simulated DHT (100 nodes, virtual time)', () => {
  test('the sender appends with rising seq, another owner cannot overwrite, the reader gets the newest', async () => {
    const clock = new VirtualClock();
    const swarm = await Swarm.create({
      size: 100,
      clock,
      seed: 'outbox',
      node: { verifyValue: memoizedVerifier() },
    });
    const key = outboxInfoHash(SENDER, RECIPIENT);
    const sender = swarm.node(0);
    const now = (): number => 1_700_000_000 + Math.floor(clock.now() / 1000);
    let current: SignedValue | undefined;
    for (let i = 1; i <= 3; i++) {
      const q = queueMessage(current, { ciphertext: ct(100, i), seq: BigInt(i) }, opts(now()));
      const put = await sender.put(key, q.value as DhtValue, { ttlMs: 7 * 24 * 3600 * 1000 });
      expect(put.stored.length).toBe(8);
      const found = await sender.get(key);
      current = newestSignedValue(key, found.values, { owner: q.value.owner });
      expect(current?.seq).toBe(i - 1);
    }
    const forged = queueMessage(
      undefined,
      { ciphertext: ct(1), seq: 99n },
      opts(now(), { secretKey: mallorySk }),
    );
    const attack = await swarm.node(1).put(key, { ...forged.value, seq: 50 } as DhtValue);
    expect(attack.stored.length).toBe(0); // bad signature (seq changed after signing)
    const attack2 = await swarm
      .node(1)
      .put(key, signValue(key, { id: 1n, seq: 50, data: forged.value.data }, mallorySk) as DhtValue);
    expect(attack2.refused.map((r) => (r.error as { reason?: string }).reason)).toEqual(
      Array(8).fill('owner-mismatch'),
    );
    const reader = swarm.farthestLive(key);
    const got = await reader.get(key);
    const newest = newestSignedValue(key, got.values);
    expect(newest?.seq).toBe(2);
    const msgs = readOutbox(newest!, { sender: SENDER, recipient: RECIPIENT, nowSeconds: now() });
    expect(msgs.map((m) => [m.seq, m.ciphertext[0]])).toEqual([
      [1n, 1],
      [2n, 2],
      [3n, 3],
    ]);
  });
});
