import { createHash } from 'node:crypto';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { deriveStreamState } from '../src/rng.js';

/** The stream derivation as it was first written, on node:crypto (the reference). */
function referenceState(seed: number, path: readonly string[]): number[] {
  const h = createHash('sha256');
  h.update(Buffer.from('fanout-lab/sim/rng/v1', 'utf8'));
  const u32 = Buffer.alloc(4);
  u32.writeUInt32BE(seed);
  h.update(u32);
  for (const label of path) {
    const bytes = Buffer.from(label, 'utf8');
    u32.writeUInt32BE(bytes.length);
    h.update(u32);
    h.update(bytes);
  }
  const d = h.digest();
  return [d.readInt32BE(0), d.readInt32BE(4), d.readInt32BE(8), d.readInt32BE(12)];
}

describe('deriveStreamState', () => {
  test.prop(
    [
      fc.nat({ max: 0xffff_ffff }),
      fc.array(fc.string({ unit: 'grapheme', maxLength: 90 }), { maxLength: 4 }),
    ],
    {
      numRuns: 300,
    },
  )('gives the same streams as the node:crypto derivation (no seed changes its streams)', (seed, path) => {
    expect(deriveStreamState(seed, path)).toEqual(referenceState(seed, path));
  });
});
