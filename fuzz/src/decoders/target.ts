/**
 * What a decoder fuzz target is, and how an outcome is judged.
 *
 * A target draws inputs from a fast-check arbitrary (random and mutated, see ../mutate.ts) and
 * feeds each to one or more decoders. An input may be accepted, or rejected with one of the
 * decoder's typed errors naming the field that was wrong; anything else (a TypeError, a
 * RangeError, an untyped Error, a typed error without a field, an HTTP 500, a hang) is a
 * violation, which fails the property so fast-check shrinks it and prints its seed and path.
 */
import type fc from 'fast-check';
import type { Rng } from '@fanout/sim';

/** A decoder fuzz target. */
export interface DecoderTarget<T = unknown> {
  /** Stable name, e.g. 'raida.request' (used by `--only`). */
  readonly name: string;
  /** What it drives, one line (printed in the report and docs/fuzzing.md). */
  readonly drives: string;
  /**
   * Relative cost of one input (1 = a plain byte decoder); quick mode gives a target
   * `quickRuns / cost` inputs.
   */
  readonly cost: number;
  /**
   * Inputs. `corpus` is a seeded stream (the run's seed, forked per target) for building the
   * valid messages that mutations start from; every other draw goes through fast-check.
   */
  arbitrary(corpus: Rng): fc.Arbitrary<T>;
  /** True when `run` returns a promise (fetch handlers); sync targets run much faster. */
  readonly async?: boolean;
  /**
   * Decode one input. Returns the outcome label ('accepted …' or 'rejected <Class>(<field>)').
   * @throws FuzzViolation when the input broke a rule.
   */
  run(input: T): string | Promise<string>;
  /** The input as text for a report (hex for bytes). */
  show(input: T): string;
}

/** A rule broken by one input (the property fails with it). `kind` says which rule. */
export class FuzzViolation extends Error {
  override readonly name = 'FuzzViolation';
  constructor(
    readonly kind:
      | 'untyped-error'
      | 'no-field'
      | 'server-error'
      | 'untyped-rejection'
      | 'auth-bypass'
      | 'hang'
      | 'invariant',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${kind}: ${message}`, options);
  }
}

/** A typed error class and how to read the field it names (undefined = names none). */
export type TypedClass = readonly [
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  new (...args: any[]) => Error,
  (e: Error) => string | undefined,
];

/** Reads a non-empty string `field` property. */
export const fieldProp = (e: Error): string | undefined => {
  const f = (e as { field?: unknown }).field;
  return typeof f === 'string' && f !== '' ? f : undefined;
};

/**
 * Describe any thrown value in one line (class and message). The stack is not read here: it is
 * formatted on first access, and the fuzz loop runs with source maps off (see whereOf).
 */
export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return `non-Error thrown: ${String(e)}`;
  return `${e.constructor.name}: ${e.message.slice(0, 300)}`;
}

/**
 * The first stack frame of the error behind a violation (its cause), or '' — read after the run,
 * once source maps are on again, so the frame names the TypeScript line.
 */
export function whereOf(e: unknown): string {
  const inner = e instanceof FuzzViolation && e.cause !== undefined ? e.cause : e;
  if (!(inner instanceof Error)) return '';
  return (
    inner.stack
      ?.split('\n')
      .find((l) => l.trim().startsWith('at '))
      ?.trim() ?? ''
  );
}

/**
 * The label of a typed, field-naming rejection, e.g. 'RaidaDecodeError(crc)'.
 * @throws FuzzViolation('no-field') for a typed error that names no field, ('untyped-error') for
 *   anything that is not one of `classes`.
 */
export function judge(e: unknown, classes: readonly TypedClass[]): string {
  if (e instanceof FuzzViolation) throw e;
  for (const [cls, field] of classes) {
    if (e instanceof cls) {
      const f = field(e);
      if (f === undefined) throw new FuzzViolation('no-field', describeError(e), { cause: e });
      return `${e.name}(${f})`;
    }
  }
  throw new FuzzViolation('untyped-error', describeError(e), { cause: e });
}

/**
 * Run one decoder on one input: 'accepted' or 'rejected <Class>(<field>)'.
 * @throws FuzzViolation as {@link judge}.
 */
export function attempt(fn: () => unknown, classes: readonly TypedClass[]): string {
  try {
    fn();
    return 'accepted';
  } catch (e) {
    return `rejected ${judge(e, classes)}`;
  }
}

/** Async {@link attempt}. */
export async function attemptAsync(
  fn: () => Promise<unknown>,
  classes: readonly TypedClass[],
): Promise<string> {
  try {
    await fn();
    return 'accepted';
  } catch (e) {
    return `rejected ${judge(e, classes)}`;
  }
}

/** Lower-case hex, cut to `max` bytes with the total length noted. */
export function hexOf(b: Uint8Array, max = 512): string {
  const s = Buffer.from(b.subarray(0, max)).toString('hex');
  return b.length > max ? `${s}… (${b.length} bytes)` : s;
}

/** A string as a JSON literal, cut to `max` characters. */
export function textOf(s: string, max = 600): string {
  return s.length > max ? `${JSON.stringify(s.slice(0, max))}… (${s.length} chars)` : JSON.stringify(s);
}
