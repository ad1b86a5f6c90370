/**
 * The shape anchor (src/shape-anchor.ts): a full GC between fan-outs must not deoptimize the
 * engine. Runs test/fixtures/deopt-rounds.ts in a child process with `--trace-deopt --expose-gc`
 * (rounds of fan-outs in four option shapes, a forced GC after each) and counts the engine
 * functions V8 deoptimizes for "weak objects" (a map embedded in optimized code was collected) in
 * the second half of the rounds, once everything is warm. Without the anchor that count is 27–40
 * on Node 20; with it 0–2 (a deopt can still follow a genuine feedback change). Node's own
 * AbortSignal/EventTarget functions are not counted.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { anchoredObjects } from '../src/shape-anchor.js';

const ENGINE_FUNCTIONS = new Set([
  'Engine',
  'Attempt',
  'answer',
  'error',
  'markDone',
  'get done',
  'idsOf',
  'insertInOrder',
  'insertPartitioned',
  'at',
  'all',
  'OutcomeTable',
  'ResultImpl',
  'IdIndex',
  'ById',
]);

test('a forced full GC between fan-outs does not deoptimize the engine (weak maps kept)', () => {
  const fixture = fileURLToPath(new URL('./fixtures/deopt-rounds.ts', import.meta.url));
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', '--trace-deopt', '--conditions=@fanout/source', '--import', 'tsx', fixture, '12'],
    { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  expect(child.status, child.stderr).toBe(0);
  const out = child.stdout + child.stderr;
  const counted = out.slice(out.indexOf('-- counted rounds --'));
  expect(counted.length).toBeLessThan(out.length);
  const deopts: string[] = [];
  for (const m of counted.matchAll(/SharedFunctionInfo ([^>]+)>[^\n]*reason: weak objects/g)) {
    const name = m[1]!;
    if (ENGINE_FUNCTIONS.has(name) || name.startsWith('#')) deopts.push(name);
  }
  // The trace must show deopts at all (else the pattern no longer matches V8's output).
  expect(out).toMatch(/reason: weak objects/);
  expect(deopts.length, `engine functions deoptimized: ${deopts.join(', ')}`).toBeLessThanOrEqual(4);
});

test('the anchor keeps one engine, attempt, result, byId view and outcome', async () => {
  await Promise.resolve();
  const kinds = anchoredObjects.map((o) => (o as object).constructor.name);
  expect(kinds).toEqual(expect.arrayContaining(['Engine', 'Attempt', 'ResultImpl', 'ById', 'OutcomeRecord']));
});
