import { fc, test } from '@fast-check/vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import {
  AggregationError,
  FrostOperationError,
  aggregate,
  commit,
  dkgRound1,
  dkgRound2,
  dkgRound3,
  identifierOf,
  signShare,
  verifyShare,
  type KeyPackage,
  type PublicKeyPackage,
} from '../src/index.js';
import { flipByte, seededRng } from './helpers.js';

const N = 5;
const MIN = 3;

/** A 3-of-5 key set from the wrapper's DKG (no messaging), computed once. */
function dkg(): { keys: KeyPackage[]; pub: PublicKeyPackage } {
  const rng = seededRng('property-dkg');
  const threshold = { minSigners: MIN, maxSigners: N };
  const r1 = Array.from({ length: N }, (_, i) => dkgRound1(identifierOf(i + 1), threshold, rng));
  const r2 = r1.map((me, i) =>
    dkgRound2(
      me.secret,
      r1.filter((_, j) => j !== i).map((o) => o.package),
    ),
  );
  const out = r1.map((me, i) => {
    const others = r1.filter((_, j) => j !== i).map((o) => o.package);
    const received = r2.filter((_, j) => j !== i).map((o) => o.packages[me.package.identifier]!);
    return dkgRound3(r2[i]!.secret, others, received);
  });
  return { keys: out.map((o) => o.keyPackage), pub: out[0]!.publicKeyPackage };
}
const { keys, pub } = dkg();
const groupKey = pub.commitments[0]!;

function trySign(subset: number[], seed: string, message: Uint8Array) {
  const rng = seededRng(seed);
  const rounds = subset.map((i) => commit(keys[i]!, rng));
  const commitments = rounds.map((r) => r.commitments);
  const shares: Record<string, Uint8Array> = {};
  subset.forEach((i, k) => {
    shares[keys[i]!.identifier] = signShare(keys[i]!, pub, rounds[k]!.nonces, commitments, message);
  });
  return { signature: aggregate(pub, commitments, message, shares), commitments, shares };
}

describe('threshold property (3-of-5)', () => {
  test.prop(
    [
      fc.subarray([0, 1, 2, 3, 4], { minLength: 1 }),
      fc.string({ maxLength: 8 }),
      fc.uint8Array({ maxLength: 40 }),
    ],
    { numRuns: 20 },
  )('≥ minSigners signers give an Ed25519-valid signature; fewer give none', (subset, seed, target) => {
    const message = sha256(target);
    if (subset.length >= MIN) {
      const { signature } = trySign(subset, seed, message);
      expect(ed25519.verify(signature, message, groupKey)).toBe(true);
    } else {
      expect(() => trySign(subset, seed, message)).toThrow(FrostOperationError);
    }
  });

  it('two shares cannot be passed off as a 2-of-5 signature (lowered threshold)', () => {
    const message = sha256(new Uint8Array([1, 2, 3]));
    const lowered: PublicKeyPackage = { ...pub, signers: { min: 2, max: N } };
    const rng = seededRng('lowered');
    const subset = [0, 3];
    const rounds = subset.map((i) => commit(keys[i]!, rng));
    const commitments = rounds.map((r) => r.commitments);
    const shares: Record<string, Uint8Array> = {};
    subset.forEach((i, k) => {
      shares[keys[i]!.identifier] = signShare(keys[i]!, lowered, rounds[k]!.nonces, commitments, message);
    });
    expect(() => aggregate(lowered, commitments, message, shares)).toThrow(AggregationError);
  });

  it('a tampered share fails verifyShare and is named by aggregate', () => {
    const message = sha256(new Uint8Array([9]));
    const { commitments, shares } = trySign([0, 1, 2], 'tamper', message);
    const cheater = keys[1]!.identifier;
    const bad = { ...shares, [cheater]: flipByte(shares[cheater]!, 0) };
    expect(verifyShare(pub, commitments, message, cheater, shares[cheater]!)).toBe(true);
    expect(verifyShare(pub, commitments, message, cheater, bad[cheater]!)).toBe(false);
    try {
      aggregate(pub, commitments, message, bad);
      throw new Error('should have thrown');
    } catch (e) {
      expect(e).toBeInstanceOf(AggregationError);
      expect((e as AggregationError).cheaters).toEqual([cheater]);
    }
  });
});
