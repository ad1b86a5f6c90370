/**
 * What `fanout run` writes: the summary table (with its legend), the JSON summary and the JUnit
 * report. JUnit: one test case per run (its seed), `time` = the run's wall seconds, the decision
 * latency (virtual ms in sim) as a property; a run that crashed or violated a guarantee is a
 * failed test case carrying the violations and the replay command.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import Table from 'cli-table3';
import pc from 'picocolors';
import type { Failure, Mode, Summary } from '@fanout/scenarios';

/** One run as the reports keep it (a few numbers; never the trace). */
export interface RunRecord {
  readonly scenario: string;
  readonly mode: Mode;
  readonly seed: number;
  readonly held: boolean;
  readonly latencyMs: number;
  readonly wallMs: number;
  readonly failures: readonly Failure[];
}

const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '–');

/** The summary table and its legend, as lines. */
export function summaryTable(summaries: readonly Summary[], colour: boolean): string[] {
  const table = new Table({
    head: [
      'scenario',
      'mode',
      'runs',
      'runs held',
      'runs violated',
      'checks',
      'p50 ms',
      'p99 ms',
      'speedup',
      'runs/s',
    ],
    style: { head: colour ? ['cyan'] : [], border: colour ? ['grey'] : [] },
  });
  for (const s of summaries) {
    table.push([
      s.scenario,
      s.mode,
      s.runs,
      s.runsHeld,
      s.runsViolated > 0 ? pc.red(String(s.runsViolated)) : '0',
      `${s.checksHeld}/${s.checksHeld + s.checksViolated}`,
      fmt(s.p50Ms),
      fmt(s.p99Ms),
      s.speedup === undefined ? '–' : `${s.speedup.toFixed(1)}× (${s.baselineRuns})`,
      s.wallMs > 0 ? (s.runs / (s.wallMs / 1000)).toFixed(1) : '–',
    ]);
  }
  const mode = summaries[0]?.mode ?? 'sim';
  return [
    table.toString(),
    pc.dim(
      `runs: seeds run; checks: guarantee checks that held / made (every run checks each guarantee of its scenario); ` +
        `p50/p99: the client's decision time per run (${mode === 'sim' ? 'virtual' : 'wall'} ms); ` +
        `speedup: decision time of the sequential baseline (same seed and plan, one target at a time, in a twin world) ÷ the parallel run's, ` +
        `median over the runs that had one (their count in brackets); runs/s: runs ÷ wall time spent on them (with --jobs N: the N worker processes' wall time on this scenario's runs ÷ N; they run several scenarios at once)`,
    ),
  ];
}

function writeFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/**
 * The JSON summary: one object per scenario, its fields in a fixed order (the same whatever
 * --jobs split the runs), samples included so that shards can be merged (`fanout merge-reports`).
 */
export function writeJson(path: string, summaries: readonly Summary[]): void {
  const ordered = summaries.map((s) => ({
    scenario: s.scenario,
    mode: s.mode,
    runs: s.runs,
    firstSeed: s.firstSeed,
    ...(s.shard !== undefined && { shard: s.shard }),
    runsHeld: s.runsHeld,
    runsViolated: s.runsViolated,
    checksHeld: s.checksHeld,
    checksViolated: s.checksViolated,
    p50Ms: s.p50Ms,
    p99Ms: s.p99Ms,
    speedup: s.speedup ?? null,
    baselineRuns: s.baselineRuns,
    failureCount: s.failureCount,
    failures: s.failures,
    wallMs: s.wallMs,
    samples: s.samples,
  }));
  writeFile(path, `${JSON.stringify(ordered, null, 2)}\n`);
}

/**
 * The JUnit XML report (see the module docstring). The builder package (large) is loaded here,
 * only by runs that write one.
 */
export async function writeJunit(
  path: string,
  summaries: readonly Summary[],
  runs: readonly RunRecord[],
): Promise<void> {
  const junitModule = (await import('junit-report-builder')).default;
  // The package is CommonJS whose module.exports is the builder; its typings describe an ES default export.
  const factory =
    (junitModule as unknown as { default?: typeof junitModule.default }).default ??
    (junitModule as unknown as typeof junitModule.default);
  const builder = factory.newBuilder();
  for (const s of summaries) {
    const suite = builder.testSuite().name(`${s.scenario} (${s.mode})`);
    for (const r of runs.filter((x) => x.scenario === s.scenario && x.mode === s.mode)) {
      const tc = suite
        .testCase()
        .className(s.scenario)
        .name(`seed ${r.seed}`)
        .time(r.wallMs / 1000)
        .property('decisionMs', Number.isFinite(r.latencyMs) ? r.latencyMs.toFixed(3) : 'none')
        .property('clock', s.mode === 'sim' ? 'virtual' : 'wall');
      if (!r.held)
        tc.failure(
          r.failures
            .map(
              (f) =>
                `${f.guarantee}: ${f.detail}${f.replayFile ? `\nreplay: fanout replay ${f.replayFile}` : ''}`,
            )
            .join('\n') || 'violated',
        );
    }
  }
  mkdirSync(dirname(path), { recursive: true });
  builder.writeTo(path);
}
