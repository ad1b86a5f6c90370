/**
 * Replay and trace files on the kernel, for FROST. A deliberately broken coordinator (it blames
 * every participant of a failed DKG round) is caught by frost.dkg's guarantees; its replay file
 * reproduces the same trace hash and violation; the trace file next to it is that run's trace;
 * and the correct coordinator replaying the file gets a DIFFERENT hash on the same traffic — only
 * the recorded decisions differ, so this fails if decisions are not in the trace.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { Trace } from '@fanout/sim';
import { loadReplay, runMany, runScenario, traceFileFor } from '../../src/kernel/index.js';
import { createFrostScenarios, frostScenarios } from '../../src/frost/scenarios.js';
import { BlameEveryoneCoordinator } from './broken.js';

const dir = mkdtempSync(join(tmpdir(), 'fanout-frost-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const violations = (r: { guarantees: readonly { name: string; held: boolean; detail?: string }[] }): string =>
  r.guarantees
    .filter((g) => !g.held)
    .map((g) => `${g.name}: ${g.detail ?? ''}`)
    .join('\n');

describe('replay of a broken coordinator (the trace hash covers decisions)', () => {
  const [brokenDkg] = createFrostScenarios({ makeCoordinator: (o) => new BlameEveryoneCoordinator(o) });
  const dkg = frostScenarios[0]!;

  test('runMany reports the violation and writes replay + trace files; the replay reproduces hash and violation; the correct coordinator does not', async () => {
    const summary = await runMany(brokenDkg!, { seed: 1, runs: 6, replayDir: dir, baseline: 'none' });
    const failure = summary.failures.find((f) => f.guarantee === 'culprits-blamed-honest-never');
    expect(
      failure,
      'blaming everyone must violate culprits-blamed-honest-never within 6 seeds',
    ).toBeDefined();
    const { file, mode, options } = loadReplay(failure!.replayFile!);
    expect(mode).toBe('sim');
    expect(file.traceHash).toMatch(/^[0-9a-f]{64}$/);
    const again = await runScenario(brokenDkg!, { seed: file.seed, mode, plan: file.plan, options });
    expect(again.traceHash).toBe(file.traceHash);
    expect(violations(again)).toBe(file.violation);

    // The correct coordinator on the same seed and plan: same traffic, other decisions, other hash.
    const fixed = await runScenario(dkg, { seed: file.seed, mode, plan: file.plan, options });
    expect(violations(fixed)).toBe('');
    expect(fixed.traceHash).not.toBe(file.traceHash);

    // The trace written next to the replay file is the run's trace and holds the decisions.
    expect(failure!.traceFile).toBe(traceFileFor(failure!.replayFile!));
    const trace = Trace.fromJSONL(readFileSync(failure!.traceFile!, 'utf8'));
    expect(trace.hash()).toBe(file.traceHash);
    const outcome = trace.events().find((e) => e.kind === 'outcome' && e['step'] === 'dkg');
    expect(outcome).toMatchObject({ ok: false });
    expect((outcome!['blamed'] as string[]).length).toBe(3);
  });

  test.each(frostScenarios.map((s) => [s.name, s] as const))(
    '%s: a replay file written for a run reproduces its trace hash',
    async (_n, s) => {
      // Force a violation through an undeclared guarantee so the runner writes the files.
      const flagged = {
        ...s,
        run: async (ctx: Parameters<typeof s.run>[0]) => (await s.run(ctx), ctx.check('x', false)),
      };
      const summary = await runMany(flagged, { seed: 4242, runs: 1, replayDir: dir, baseline: 'none' });
      const f = summary.failures[0]!;
      expect(f.guarantee).toBe('declared-guarantees');
      const { file, mode, options } = loadReplay(f.replayFile!);
      expect(Trace.fromJSONL(readFileSync(f.traceFile!, 'utf8')).hash()).toBe(file.traceHash);
      const again = await runScenario(s, { seed: file.seed, mode, plan: file.plan, options });
      expect(again.traceHash).toBe(file.traceHash);
    },
  );
});
