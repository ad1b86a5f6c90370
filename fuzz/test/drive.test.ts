/**
 * The decoder driver's rules: a typed, field-naming rejection passes; an untyped error or a typed
 * error without a field fails with a shrunk input and a path that replays it; after a failure the
 * run goes on and still generates every input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { driveTarget } from '../src/decoders/drive.js';
import { attempt, fieldProp, hexOf, type DecoderTarget, type TypedClass } from '../src/decoders/target.js';

class FieldError extends Error {
  override readonly name = 'FieldError';
  constructor(readonly field: string) {
    super(`bad ${field}`);
  }
}
const TYPED: readonly TypedClass[] = [[FieldError, fieldProp]];

/** A byte decoder: rejects short inputs with a field; `bug` decides what else it does. */
function target(bug: (b: Uint8Array) => void): DecoderTarget<Uint8Array> {
  return {
    name: 'test.decoder',
    drives: 'test',
    cost: 1,
    arbitrary: () => fc.uint8Array({ maxLength: 16 }),
    run: (b) =>
      attempt(() => {
        if (b.length < 2) throw new FieldError('length');
        bug(b);
      }, TYPED),
    show: (b) => hexOf(b),
  };
}

describe('driveTarget', () => {
  it('passes a decoder whose every rejection is typed and names a field', async () => {
    const r = await driveTarget(
      target(() => undefined),
      { numRuns: 2000, seed: 1 },
    );
    expect(r.failures).toEqual([]);
    expect(r.inputs).toBe(2000);
    expect(r.tally['rejected FieldError(length)']).toBeGreaterThan(0);
  });

  it('fails an untyped error with a shrunk input, and its path replays it', async () => {
    const buggy = target((b) => {
      if (b[0]! > 200) throw new TypeError('cannot read properties of undefined');
    });
    const r = await driveTarget(buggy, { numRuns: 2000, seed: 3 });
    expect(r.failures).toHaveLength(1);
    const f = r.failures[0]!;
    expect(f.error).toMatch(/^untyped-error: TypeError: cannot read/);
    expect(f.input).toBe('c900'); // shrunk: first byte 201, shortest accepted length
    expect(f.where).toMatch(/drive\.test\.ts/);
    const again = await driveTarget(buggy, { numRuns: 1, seed: 3, restart: f.restart, path: f.path });
    expect(again.failures[0]?.input).toBe(f.input);
  });

  it('fails a typed error that names no field', async () => {
    const r = await driveTarget(
      target((b) => {
        if (b[1] === 0) throw new FieldError('');
      }),
      { numRuns: 2000, seed: 5 },
    );
    expect(r.failures[0]?.error).toMatch(/^no-field: /);
  });

  it('goes on after a failure: every input is generated, repeats of the same bug are counted', async () => {
    const r = await driveTarget(
      target((b) => {
        if (b[0]! % 2 === 1) throw new RangeError(`odd ${b[0]}`);
      }),
      { numRuns: 3000, seed: 9 },
    );
    expect(r.failures).toHaveLength(1);
    expect(r.inputs).toBe(3000);
    expect(r.failures[0]!.hits).toBeGreaterThan(100);
    expect(r.tally['known failure: untyped-error']).toBe(r.failures[0]!.hits - 1);
  });
});
