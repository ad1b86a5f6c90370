/**
 * assertProperty's contract: a failing property rejects with its seed, shrink path and a one-line
 * replay command, and FC_SEED / FC_PATH from the environment replay exactly that counterexample.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { assertProperty, type ReplayInfo } from '../src/index.js';

const REPLAY = /Replay: FC_SEED=-?\d+ FC_PATH="[^"]*" pnpm vitest run /;
const ENV = ['FC_SEED', 'FC_PATH', 'FC_NUM_RUNS'] as const;
let saved: Record<string, string | undefined> = {};

beforeEach(() => {
  saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  for (const k of ENV) delete process.env[k];
});
afterEach(() => {
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

/** Fails for arrays whose sum exceeds 1000; records every input it was called with. */
function failing(seen: number[][]) {
  return fc.property(fc.array(fc.integer({ min: 0, max: 600 })), (xs) => {
    seen.push(xs);
    expect(xs.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1000);
  });
}

async function failure(run: Promise<void>): Promise<Error & { replay?: ReplayInfo }> {
  try {
    await run;
  } catch (e) {
    return e as Error & { replay?: ReplayInfo };
  }
  return expect.unreachable('assertProperty should have rejected');
}

const counterexample = (message: string): string => /Counterexample: (.*)/.exec(message)?.[1] ?? '';

test('a failing property rejects with seed, path and a replay command for this file and test', async () => {
  const error = await failure(assertProperty(failing([]), { numRuns: 200 }));
  expect(error.message).toMatch(REPLAY);
  const line = error.message.split('\n').find((l) => l.startsWith('Replay: '))!;
  expect(line).toContain('pnpm vitest run packages/testkit/test/replay.test.ts -t ');
  expect(line).toContain(
    JSON.stringify('a failing property rejects with seed, path and a replay command for this file and test'),
  );
  const info = error.replay!;
  expect(line).toContain(`FC_SEED=${info.seed} FC_PATH="${info.path}"`);
  expect(info.path).not.toBe('');
  expect(counterexample(error.message)).not.toBe('');
  // fast-check's own report (seed, path, counterexample) is kept above the replay line.
  expect(error.message).toContain(`seed: ${info.seed}, path: "${info.path}"`);
});

test('FC_SEED and FC_PATH from the environment replay the same counterexample, and only it', async () => {
  const first = await failure(assertProperty(failing([]), { numRuns: 200 }));
  const { seed, path } = first.replay!;
  process.env.FC_SEED = String(seed);
  process.env.FC_PATH = path;
  const seen: number[][] = [];
  const again = await failure(assertProperty(failing(seen), { numRuns: 200 }));
  expect(counterexample(again.message)).toBe(counterexample(first.message));
  expect(again.replay!.seed).toBe(seed);
  // The replay ran the counterexample alone: no new search, no further shrinking.
  expect(seen).toHaveLength(1);
  expect(JSON.stringify(seen)).toBe(counterexample(first.message));
  expect(again.message).toMatch(REPLAY);
});

test('FC_SEED alone reruns the same search (same counterexample); a passing property resolves', async () => {
  const first = await failure(assertProperty(failing([]), { numRuns: 200 }));
  process.env.FC_SEED = String(first.replay!.seed);
  const again = await failure(assertProperty(failing([]), { numRuns: 200 }));
  expect(counterexample(again.message)).toBe(counterexample(first.message));
  expect(again.replay!.path).toBe(first.replay!.path);
  delete process.env.FC_SEED;
  await expect(
    assertProperty(fc.property(fc.integer(), (x) => Number.isInteger(x))),
  ).resolves.toBeUndefined();
});

test('FC_NUM_RUNS overrides numRuns; a malformed FC_SEED is an error naming it', async () => {
  let runs = 0;
  process.env.FC_NUM_RUNS = '7';
  await assertProperty(
    fc.property(fc.nat(), () => {
      runs++;
    }),
    { numRuns: 500 },
  );
  expect(runs).toBe(7);
  process.env.FC_SEED = '12x';
  await expect(assertProperty(fc.property(fc.nat(), () => true))).rejects.toThrow(
    /FC_SEED must be an integer/,
  );
});
