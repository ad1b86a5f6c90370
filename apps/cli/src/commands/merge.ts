/**
 * `fanout merge-reports DIR [--json OUT] [--junit OUT]`: merge the JSON summaries (and JUnit
 * reports) that `fanout run --shard i/n --json … --junit …` wrote on n machines into one summary,
 * as vitest's --merge-reports does. Summaries of one scenario and mode merge through their
 * samples (percentiles recomputed over every run); JUnit test cases are gathered per suite in seed
 * order. Exit 1 when the merged runs violated a guarantee, 2 when there is nothing to merge.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import pc from 'picocolors';
import { mergeSummaries, SummaryMergeError, type Summary } from '@fanout/scenarios';
import type { Env } from '../env.js';
import { summaryTable, writeJson } from '../reports.js';

/** Merge JUnit XML documents written by {@link writeJunit} (reports.ts): one suite per name, cases in seed order. */
export function mergeJunit(docs: readonly string[]): string {
  const suites = new Map<string, string[]>();
  for (const doc of docs) {
    for (const m of doc.matchAll(/<testsuite name="([^"]*)"[^>]*>([\s\S]*?)<\/testsuite>/g)) {
      const cases = [...m[2]!.matchAll(/<testcase\b[^>]*\/>|<testcase\b[^>]*>[\s\S]*?<\/testcase>/g)].map(
        (c) => c[0],
      );
      suites.set(m[1]!, [...(suites.get(m[1]!) ?? []), ...cases]);
    }
  }
  const seedOf = (c: string): number => Number(/name="seed (\d+)"/.exec(c)?.[1] ?? 0);
  const failed = (c: string): boolean => c.includes('<failure');
  let tests = 0;
  let failures = 0;
  const body: string[] = [];
  for (const [name, cases] of suites) {
    cases.sort((a, b) => seedOf(a) - seedOf(b));
    const f = cases.filter(failed).length;
    tests += cases.length;
    failures += f;
    body.push(`  <testsuite name="${name}" tests="${cases.length}" failures="${f}" errors="0" skipped="0">`);
    for (const c of cases) body.push(`    ${c}`);
    body.push('  </testsuite>');
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites tests="${tests}" failures="${failures}" errors="0" skipped="0">`,
    ...body,
    '</testsuites>',
    '',
  ].join('\n');
}

function merge(env: Env, dir: string, o: { json?: string; junit?: string }): number {
  const files = readdirSync(dir).sort();
  const parts = files
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Summary[]);
  if (parts.length === 0) {
    env.error(pc.red(`merge-reports: no JSON summaries in ${dir}`));
    return 2;
  }
  const groups = new Map<string, Summary[]>();
  for (const p of parts)
    groups.set(`${p.scenario}\u0000${p.mode}`, [...(groups.get(`${p.scenario}\u0000${p.mode}`) ?? []), p]);
  let merged: Summary[];
  try {
    merged = [...groups.values()].map((g) => mergeSummaries(g, Math.max(...g.map((p) => p.wallMs))));
  } catch (e) {
    if (e instanceof SummaryMergeError) {
      env.error(pc.red(`merge-reports: ${e.message}`));
      return 2;
    }
    throw e;
  }
  env.log(
    `${pc.bold('fanout merge-reports')}: ${parts.length} part(s) from ${files.filter((f) => f.endsWith('.json')).length} file(s) in ${dir}`,
  );
  for (const line of summaryTable(merged, env.interactive)) env.log(line);
  if (o.json !== undefined) {
    writeJson(o.json, merged);
    env.log(`JSON summary written to ${o.json}`);
  }
  const xml = files.filter((f) => f.endsWith('.xml')).map((f) => readFileSync(join(dir, f), 'utf8'));
  if (o.junit !== undefined && xml.length > 0) {
    mkdirSync(dirname(o.junit), { recursive: true });
    writeFileSync(o.junit, mergeJunit(xml));
    env.log(`JUnit report written to ${o.junit}`);
  }
  const violated = merged.reduce((a, s) => a + s.runsViolated, 0);
  env.log(
    violated === 0
      ? pc.green(`\nAll guarantees held (${merged.reduce((a, s) => a + s.checksHeld, 0)} checks).`)
      : pc.red(`\n${violated} run(s) violated a guarantee.`),
  );
  return violated === 0 ? 0 : 1;
}

/** Register `merge-reports`. */
export function registerMerge(program: Command, env: Env): void {
  program
    .command('merge-reports')
    .description('merge the --json/--junit reports of sharded runs (fanout run --shard i/n) into one summary')
    .argument('<dir>', 'folder with the shards’ .json (and .xml) reports')
    .option('--json <file>', 'write the merged JSON summary')
    .option('--junit <file>', 'write the merged JUnit report')
    .action((dir: string, o: { json?: string; junit?: string }) => env.exit(merge(env, dir, o)));
}
