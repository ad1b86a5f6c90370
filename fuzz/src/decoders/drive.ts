/**
 * Drive one decoder target with fast-check: `numRuns` inputs from the seed, each judged by the
 * target (see target.ts). On a violation fast-check shrinks the input; the shrunk counterexample
 * is recorded with the seed and path that replay it (`--seed <s> --path <p>`), its signature
 * (kind + message without numbers) is then only counted, and the run goes on from seed + 1 with
 * the inputs left, so one known bug does not hide the others and every target still gets its
 * inputs. At most {@link MAX_FAILURES} distinct failures are recorded per target.
 */
import fc from 'fast-check';
import { createRng } from '@fanout/sim';
import { describeError, FuzzViolation, whereOf, type DecoderTarget } from './target.js';

/** Distinct failures recorded per target before the target stops. */
export const MAX_FAILURES = 12;

/** What {@link driveTarget} needs. */
export interface DriveOptions {
  /** Inputs to generate (fast-check numRuns, over all restarts). */
  readonly numRuns: number;
  /** Root seed, u32: fast-check's seed, and (forked per target) the corpus stream's. */
  readonly seed: number;
  /** fast-check path to replay one input (and its shrink steps) instead of a full run. */
  readonly path?: string;
  /** The restart to begin with (fast-check seed = seed + restart); a replay names it. Default 0. */
  readonly restart?: number;
  /**
   * Called before every input with the number of inputs started so far (a heartbeat for the
   * watchdog that turns a stuck decoder into a reported hang).
   */
  readonly onInput?: (started: number) => void;
}

/** One distinct failure of a target. */
export interface DriveFailure {
  /** The shrunk input, as the target shows it. */
  readonly input: string;
  /** What went wrong (FuzzViolation kind and message). */
  readonly error: string;
  /** First stack frame of the error behind it ('' when not an exception, e.g. an HTTP 500). */
  where: string;
  /** Restart of the run it came from (fast-check seed = root seed + restart) and its path. */
  readonly restart: number;
  readonly path: string;
  /** Inputs (before shrinking) that hit the same signature, this one included. */
  hits: number;
}

/** The outcome of a target run. */
export interface DriveResult {
  readonly target: string;
  readonly seed: number;
  /** Inputs generated over all restarts (shrink steps not counted). */
  readonly inputs: number;
  /** Shrink steps run after failures. */
  readonly shrinks: number;
  /** Outcome label → inputs (see DecoderTarget.run). */
  readonly tally: Readonly<Record<string, number>>;
  /**
   * First input of each 'note: …' label: something worth a look that breaks no fuzz rule (e.g. an
   * accepted value that does not re-encode to the same bytes).
   */
  readonly notes: Readonly<Record<string, string>>;
  readonly durationMs: number;
  /** Distinct failures, in the order found (empty when every input kept the rules). */
  readonly failures: readonly DriveFailure[];
}

/**
 * A violation's signature: its kind and message with quoted names, hex runs and numbers blanked
 * (so `field "type"` and `field "toString"` of one bug are one failure).
 */
export function signatureOf(e: FuzzViolation): string {
  const m = e.message
    .replace(/\\/g, '')
    .replace(/"[^"]{0,40}"/g, '"…"')
    .replace(/[0-9a-f]{8,}/gi, '#')
    .replace(/\d+/g, '#');
  return `${e.kind}: ${m.slice(0, 120)}`;
}

function asViolation(e: unknown): FuzzViolation {
  return e instanceof FuzzViolation ? e : new FuzzViolation('untyped-error', describeError(e), { cause: e });
}

/**
 * Run `target` (see the module comment).
 * @returns the counts and every distinct failure with its shrunk counterexample.
 */
export async function driveTarget<T>(target: DecoderTarget<T>, o: DriveOptions): Promise<DriveResult> {
  const tally: Record<string, number> = {};
  const notes: Record<string, string> = {};
  const known = new Map<string, DriveFailure>();
  const failures: DriveFailure[] = [];
  let started = 0;
  const count = (label: string, input: T): void => {
    tally[label] = (tally[label] ?? 0) + 1;
    if (label.startsWith('note:') && notes[label] === undefined) notes[label] = target.show(input);
  };
  /** Judge one input; a violation already recorded is counted, not thrown. */
  const judge = (label: string | undefined, error: unknown, input: T): void => {
    if (label !== undefined) return count(label, input);
    const v = asViolation(error);
    const seen = known.get(signatureOf(v));
    if (seen === undefined) throw v;
    seen.hits++;
    count(`known failure: ${v.kind}`, input);
  };
  const arbitrary = target.arbitrary(createRng(o.seed).fork(`corpus:${target.name}`));
  const property = target.async
    ? fc.asyncProperty(arbitrary, async (input) => {
        o.onInput?.(++started);
        let label: string | undefined;
        let error: unknown;
        try {
          label = await target.run(input);
        } catch (e) {
          error = e;
        }
        judge(label, error, input);
      })
    : fc.property(arbitrary, (input) => {
        o.onInput?.(++started);
        let label: string | undefined;
        let error: unknown;
        try {
          label = target.run(input) as string;
        } catch (e) {
          error = e;
        }
        judge(label, error, input);
      });
  // Error stacks are captured with source maps off: ~3× faster on error-heavy inputs (tsx turns
  // them on); they are formatted, with maps, after the loop.
  const sourceMaps = process.sourceMapsEnabled;
  process.setSourceMapsEnabled(false);
  const causes: unknown[] = [];
  const t0 = performance.now();
  let inputs = 0;
  let shrinks = 0;
  for (let attempt = o.restart ?? 0; inputs < o.numRuns && failures.length < MAX_FAILURES; attempt++) {
    const seed = (o.seed + attempt) >>> 0;
    // The corpus always comes from the root seed; only fast-check's seed moves on a restart.
    const details = await fc.check(property as fc.IAsyncProperty<[T]>, {
      numRuns: o.numRuns - inputs,
      seed: seed | 0,
      ...(o.path === undefined ? {} : { path: o.path }),
    });
    inputs += details.numRuns;
    shrinks += details.numShrinks;
    if (!details.failed) break;
    const v = asViolation(details.errorInstance);
    const failure: DriveFailure = {
      input: details.counterexample === null ? '(none)' : target.show(details.counterexample[0]),
      error: v.message,
      restart: attempt,
      path: details.counterexamplePath ?? '',
      hits: 1,
      where: '',
    };
    causes.push(details.errorInstance);
    known.set(signatureOf(v), failure);
    failures.push(failure);
    if (o.path !== undefined) break; // a replay runs one input
  }
  const durationMs = performance.now() - t0;
  process.setSourceMapsEnabled(sourceMaps);
  failures.forEach((f, i) => {
    f.where = whereOf(causes[i]);
  });
  return {
    target: target.name,
    seed: o.seed,
    inputs,
    shrinks,
    tally,
    notes,
    durationMs,
    failures,
  };
}
