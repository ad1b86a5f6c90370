import { ed25519, ed25519_FROST } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { FROST_ED25519, decodeElement } from '../src/suite.js';

type Suite = typeof ed25519_FROST;

/** A seeded byte stream (SHA-512 in counter mode): both suites draw the same bytes. */
function seededBytes(seed: number): (n?: number) => Uint8Array {
  let counter = 0;
  let pool = new Uint8Array(0);
  return (n = 32) => {
    while (pool.length < n) pool = concatBytes(pool, sha512(utf8ToBytes(`${seed}.${counter++}`)));
    const out = pool.slice(0, n);
    pool = pool.slice(n);
    return out;
  };
}

/** A whole DKG of `max` parties (threshold `min`), then `min` of them sign `msg`: every byte made. */
function dkgAndSign(suite: Suite, seed: number, min: number, max: number, msg: Uint8Array): string {
  const rng = seededBytes(seed);
  const ids = Array.from({ length: max }, (_, i) => suite.Identifier.fromNumber(i + 1));
  const r1 = ids.map((id) => suite.DKG.round1(id, { min, max }, undefined, rng));
  const r2 = r1.map((me) =>
    suite.DKG.round2(
      me.secret,
      r1.filter((o) => o !== me).map((o) => o.public),
    ),
  );
  const keys = r1.map((me, i) =>
    suite.DKG.round3(
      me.secret,
      r1.filter((o) => o !== me).map((o) => o.public),
      r2.filter((_, j) => j !== i).map((sent) => sent[ids[i]!]!),
    ),
  );
  const signers = keys.slice(0, min);
  const commits = signers.map((k) => suite.commit(k.secret, rng));
  const commitments = commits.map((c) => c.commitments);
  const pub = keys[0]!.public;
  const shares: Record<string, Uint8Array> = {};
  signers.forEach((k, i) => {
    const share = suite.signShare(k.secret, pub, commits[i]!.nonces, commitments, msg);
    expect(suite.verifyShare(pub, commitments, msg, k.secret.identifier, share)).toBe(true);
    shares[k.secret.identifier] = share;
  });
  const signature = suite.aggregate(pub, commitments, msg, shares);
  return JSON.stringify({
    round1: r1.map((x) => ({
      c: x.public.commitment.map(bytesToHex),
      p: bytesToHex(x.public.proofOfKnowledge),
    })),
    round2: r2.map((x) => Object.entries(x).map(([id, p]) => [id, bytesToHex(p.signingShare)])),
    public: {
      c: pub.commitments.map(bytesToHex),
      v: Object.entries(pub.verifyingShares).map(([i, v]) => [i, bytesToHex(v)]),
    },
    shares: Object.entries(shares).map(([i, s]) => [i, bytesToHex(s)]),
    signature: bytesToHex(signature),
  });
}

/** A point of order 8 (RFC 8032 test set of small-order encodings). */
const TORSION = ed25519.Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');

describe("suite.ts: the package's FROST suite against @noble/curves' ed25519_FROST", () => {
  test('same seed ⇒ the same DKG packages, key packages, signature shares and aggregate, byte for byte', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.integer({ min: 2, max: 4 }),
        fc.uint8Array({ maxLength: 64 }),
        (seed, max, msg) => {
          const min = Math.max(2, max - 1);
          const ours = dkgAndSign(FROST_ED25519, seed, min, max, msg);
          expect(ours).toBe(dkgAndSign(ed25519_FROST, seed, min, max, msg));
          // Asked again (every subgroup check now answered from memory): still the same bytes.
          expect(dkgAndSign(FROST_ED25519, seed, min, max, msg)).toBe(ours);
          const { signature, public: pub } = JSON.parse(ours) as {
            signature: string;
            public: { c: string[] };
          };
          expect(ed25519.verify(hexToBytes(signature), msg, hexToBytes(pub.c[0]!))).toBe(true);
        },
      ),
      { numRuns: 8 },
    );
  });

  test('a commitment outside the prime-order subgroup, the identity or junk is refused by both, every time it is seen', () => {
    const rng = seededBytes(7);
    const [a, b] = [1, 2].map((i) => ed25519_FROST.Identifier.fromNumber(i));
    const ra = ed25519_FROST.DKG.round1(a!, { min: 2, max: 2 }, undefined, rng);
    const rb = ed25519_FROST.DKG.round1(b!, { min: 2, max: 2 }, undefined, rng);
    const good = ed25519.Point.fromBytes(rb.public.commitment[1]!);
    const bad = [
      good.add(TORSION).toBytes(), // torsion component
      ed25519.Point.ZERO.toBytes(), // identity
      TORSION.toBytes(), // small order
      new Uint8Array(32).fill(255), // not a point
    ];
    for (const commitment of bad)
      for (let i = 0; i < 2; i++)
        for (const suite of [FROST_ED25519, ed25519_FROST]) {
          const forged = { ...rb.public, commitment: [rb.public.commitment[0]!, commitment] };
          expect(() => suite.DKG.round2(structuredClone(ra.secret), [forged])).toThrow();
        }
    // The honest package still goes through afterwards.
    expect(() => FROST_ED25519.DKG.round2(structuredClone(ra.secret), [rb.public])).not.toThrow();
  });

  test("a decoding is remembered: the same frozen point for the same bytes, equal to noble's; bad bytes throw noble's error every time", () => {
    const bytes = ed25519.Point.BASE.multiply(4242n).toBytes();
    const first = decodeElement(bytes);
    expect(decodeElement(Uint8Array.from(bytes))).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(first.equals(ed25519.Point.fromBytes(bytes))).toBe(true);
    expect(first.toBytes()).toEqual(bytes);
    for (const bad of [new Uint8Array(32).fill(255), new Uint8Array(31)]) {
      let nobleError = '';
      try {
        ed25519.Point.fromBytes(bad);
      } catch (e) {
        nobleError = (e as Error).message;
      }
      expect(nobleError).not.toBe('');
      for (let i = 0; i < 2; i++) expect(() => decodeElement(bad)).toThrow(nobleError);
    }
  });
});
