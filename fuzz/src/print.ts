/**
 * Printing a fuzz run: one block per decoder target and per server as each finishes, then the
 * summary tables (inputs per decoder, requests per server, RSS before/after, durations) and every
 * finding with the command that reproduces it.
 */
import type { Options } from './cli.js';
import type { DriveResult } from './decoders/drive.js';
import type { LiveResult } from './live/drive.js';

const n = (x: number): string => x.toLocaleString('en-US');
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function top(tally: Readonly<Record<string, number>>, k: number): string {
  return Object.entries(tally)
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(([label, c]) => `${label} ${n(c)}`)
    .join('; ');
}

/** The command that replays a decoder failure. */
export function decoderReplay(r: DriveResult, f: DriveResult['failures'][number]): string {
  return `pnpm fuzz --only decoder:${r.target} --seed ${r.seed} --restart ${f.restart} --path "${f.path}"`;
}

/** Print one decoder target's result as it finishes. */
export function printDecoderResult(r: DriveResult, _o: Options): void {
  const status = r.failures.length === 0 ? 'ok' : `${r.failures.length} FAILURE(S)`;
  console.log(`decoder ${r.target}: ${n(r.inputs)} inputs in ${secs(r.durationMs)} — ${status}`);
  console.log(`    outcomes: ${top(r.tally, 6)}`);
  for (const [label, input] of Object.entries(r.notes)) console.log(`    ${label} — e.g. ${input}`);
  for (const f of r.failures) {
    console.log(`    FAIL ${f.error}${f.where === '' ? '' : `\n      ${f.where}`}`);
    console.log(`      input: ${f.input}`);
    console.log(`      hits: ${f.hits}; reproduce: ${decoderReplay(r, f)}`);
  }
}

/** Print one server's result as it finishes. */
export function printLiveResult(r: LiveResult, o: Options): void {
  const status = r.findings.length === 0 ? 'ok' : `${r.findings.length} FINDING(S)`;
  console.log(
    `server ${r.server}: ${n(r.sent)} ${r.unit} in ${r.rounds} rounds, ${n(r.answered)} answers, ` +
      `RSS ${r.rssStartMb} → ${r.rssEndMb} MB (peak ${r.rssPeakMb}), ${secs(r.durationMs)} — ${status}`,
  );
  console.log(`    outcomes: ${top(r.outcomes, 8)}`);
  for (const f of r.findings) {
    console.log(`    FINDING ${f.kind}: ${f.detail}`);
    if (f.input !== undefined) console.log(`      input: ${f.input}`);
    if (f.file !== undefined)
      console.log(`      reproduce: pnpm --filter @fanout/fuzz replay ${r.server} ${f.file}`);
    console.log(
      `      rerun: pnpm fuzz${o.quick ? ' --quick' : ''} --only server:${r.server} --seed ${o.seed}`,
    );
  }
}

/**
 * Print the summary tables.
 * @returns true when anything failed.
 */
export function printSummary(
  decoders: readonly DriveResult[],
  live: readonly LiveResult[],
  o: Options,
  durationMs: number,
): boolean {
  console.log('\nsummary');
  if (decoders.length > 0) {
    console.log('  decoder            inputs      duration  failures');
    for (const r of decoders)
      console.log(
        `  ${r.target.padEnd(18)} ${n(r.inputs).padStart(11)} ${secs(r.durationMs).padStart(9)}  ${r.failures.length}`,
      );
  }
  if (live.length > 0) {
    console.log('  server   sent                 answers   RSS before → after (peak)   duration  findings');
    for (const r of live)
      console.log(
        `  ${r.server.padEnd(8)} ${`${n(r.sent)} ${r.unit}`.padEnd(20)} ${n(r.answered).padStart(8)}   ` +
          `${`${r.rssStartMb} → ${r.rssEndMb} MB (${r.rssPeakMb})`.padEnd(26)} ${secs(r.durationMs).padStart(9)}  ${r.findings.length}`,
      );
  }
  const failures =
    decoders.reduce((k, r) => k + r.failures.length, 0) + live.reduce((k, r) => k + r.findings.length, 0);
  console.log(
    `  seed ${o.seed}; total ${secs(durationMs)}; ${failures === 0 ? 'no findings' : `${failures} finding(s): exit 1`}`,
  );
  return failures > 0;
}
