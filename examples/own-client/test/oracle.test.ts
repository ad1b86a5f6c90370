/**
 * The price oracle's scenario from a user's own vitest file, through the public API: many runs
 * hold for the real client, the broken client is caught with a replay file, runs are
 * deterministic, and an edited plan is judged as written.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import {
  checkDeterminism,
  effectivePlan,
  loadReplay,
  resolveOptions,
  runMany,
  runScenario,
} from '@fanout/scenarios';
import oracle from '../scenarios/oracle.js';
import broken from '../scenarios/oracle-broken.js';

const dir = mkdtempSync(join(tmpdir(), 'oracle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('oracle.quorum', () => {
  test('the real client keeps every guarantee over 200 seeds (quorum met and not met both occur)', async () => {
    let refused = 0;
    const s = await runMany(oracle, {
      seed: 1,
      runs: 200,
      replayDir: dir,
      onRun: ({ result }) => (refused += Number(result.facts['answered']) < 4 ? 1 : 0),
    });
    expect(s.failures).toEqual([]);
    expect(s.runsHeld).toBe(200);
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThan(200);
  });

  test('the broken client (waits for every endpoint) is caught: no-hol violated, with a replay file that reproduces it', async () => {
    const s = await runMany(broken, { seed: 1, runs: 50, replayDir: dir });
    const f = s.failures.find((x) => x.guarantee === 'no-hol');
    expect(f, 'waiting for every endpoint must violate no-hol within 50 seeds').toBeDefined();
    const { file, mode, options } = loadReplay(f!.replayFile!);
    const again = await runScenario(broken, { seed: file.seed, mode, plan: file.plan, options });
    expect(again.traceHash).toBe(file.traceHash);
    expect(again.guarantees.find((g) => g.name === 'no-hol')!.held).toBe(false);
  });

  test('deterministic: the same seed gives the same trace hash', async () => {
    expect((await checkDeterminism(oracle, { seeds: [1, 2, 3, 4, 5] })).mismatches).toEqual([]);
  });

  test('an edited plan is judged as written: with every endpoint silent, the client must refuse', async () => {
    const drawn = effectivePlan(oracle, 9, 'sim', resolveOptions(oracle, 'sim'));
    const r = await runScenario(oracle, {
      seed: 9,
      plan: { ...drawn, rules: [{ fault: 'partition' }] },
    });
    expect(r.held).toBe(true);
    expect(r.guarantees[0]!.detail).toContain('refused');
  });
});
