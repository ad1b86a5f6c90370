/**
 * Writing and shrinking fault plans from the command line, as CI sees it (a child process, no
 * TTY): `fanout plan schema` is the zod schema's JSON Schema with every fault kind it has;
 * `fanout plan check` explains a valid plan and names every bad path of an invalid one (exit 2);
 * docs/fault-plans.md documents every kind and its JSON examples are valid plans; `fanout shrink`
 * writes a minimal replay file that `fanout replay` reproduces (violation and trace hash);
 * `fanout run --until-failure` finds a violation from a printed seed stream and shrinks it.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { faultPlanSchema, parseFaultPlan } from '@fanout/sim';
import { readReplayFile } from '@fanout/sim/replay';
import { fanout } from './run-cli.js';

const root = resolve(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'fanout-plan-shrink-'));
// The user's project lives inside the CLI package (ignored .fanout/) so '@fanout/*' resolve as installed.
const base = join(root, 'apps/cli/.fanout');
mkdirSync(base, { recursive: true });
const user = mkdtempSync(join(base, 'plantools-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(user, { recursive: true, force: true });
});

/** Every fault kind of the plan schema, read from the zod schema itself. */
const KINDS: string[] = faultPlanSchema.shape.rules
  .unwrap()
  .element.options.map((o: { shape: { fault: { value: string } } }) => o.shape.fault.value);

describe('fanout plan schema', () => {
  test('prints the JSON Schema of the zod schema: every fault kind, defaults optional', () => {
    const r = fanout(['plan', 'schema']);
    expect(r.code, r.err).toBe(0);
    type Rule = { properties: Record<string, { const?: string }>; required?: string[] };
    const schema = JSON.parse(r.out) as {
      $schema: string;
      properties: { rules: { items: { oneOf: Rule[] } } };
    };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const rules = schema.properties.rules.items.oneOf;
    expect(rules.map((o) => o.properties['fault']!.const)).toEqual(KINDS);
    expect(KINDS).toContain('partition');
    // Input side: a field with a default (probability) is not required.
    const dropReply = rules.find((o) => o.properties['fault']!.const === 'dropReply')!;
    expect(Object.keys(dropReply.properties)).toEqual(
      expect.arrayContaining(['targets', 'group', 'window', 'probability']),
    );
    expect(dropReply.required).toEqual(['fault']);
  });
});

describe('fanout plan check', () => {
  test('a valid plan is explained per rule: targets, window, probability, what it does', () => {
    const file = join(dir, 'plan.json');
    writeFileSync(
      file,
      JSON.stringify({
        groups: { edge: ['ep-0', 'ep-1'] },
        latency: { default: { kind: 'uniform', minMs: 5, maxMs: 40 } },
        rules: [
          { fault: 'partition', group: 'edge', window: { fromMs: 1000, toMs: 4000 } },
          { fault: 'dropReply', targets: ['ep-2'], probability: 0.25 },
          { fault: 'crash', targets: ['ep-3'], atMs: 500, restartAfterMs: 2000, loseState: true },
          { fault: 'delay', latency: { kind: 'constant', ms: 700 }, window: { fromMs: 200 } },
        ],
      }),
    );
    const r = fanout(['plan', 'check', file]);
    expect(r.code, r.err).toBe(0);
    const rules = r.out.slice(r.out.indexOf('#0'));
    expect(r.out).toContain(`${file}: valid`);
    expect(r.out).toContain('latency (round trip, half each way): 5–40 ms uniform by default');
    expect(rules.split('\n').map((l) => l.trim())).toEqual([
      '#0 partition',
      'targets: group "edge" (ep-0, ep-1)',
      'when: from 1000 ms to 4000 ms',
      'does: the target is unreachable: requests are lost, nothing comes back',
      '#1 dropReply',
      'targets: ep-2',
      'when: the whole run',
      'probability: 0.25 per exchange (one draw each)',
      'does: the target handles the request, its reply is lost',
      '#2 crash',
      'targets: ep-3',
      'when: from 500 ms to 2500 ms',
      'does: the target is down: requests to it are lost; it restarts without its volatile state',
      '#3 delay',
      'targets: every target',
      'when: from 200 ms on',
      'probability: every exchange (1)',
      'does: the reply comes 700 ms constant later (on top of the round-trip latency)',
      '',
    ]);
  });

  test('an invalid plan: exit 2 naming every bad path; not JSON or missing: exit 2', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        rules: [
          { fault: 'dropReply', probability: 2 },
          { fault: 'partition', window: { fromMs: 50, toMs: 10 } },
          { fault: 'teleport' },
        ],
        bogus: true,
      }),
    );
    const r = fanout(['plan', 'check', file]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    for (const path of [
      'plan.rules.0.probability',
      'plan.rules.1.window.toMs',
      'plan.rules.2.fault',
      'plan.bogus',
    ])
      expect(r.err).toContain(`  ${path}: `);
    expect(r.err).toContain('(4 problem(s))');
    writeFileSync(join(dir, 'notjson.json'), '{ nope');
    expect(fanout(['plan', 'check', join(dir, 'notjson.json')]).code).toBe(2);
    expect(fanout(['plan', 'check', join(dir, 'missing.json')]).code).toBe(2);
  });
});

describe('docs/fault-plans.md', () => {
  const doc = readFileSync(join(root, 'docs/fault-plans.md'), 'utf8');

  test('names the schema and check commands and keeps a marked place for the newer kinds', () => {
    expect(doc).toContain('fanout plan schema');
    expect(doc).toContain('fanout plan check');
    expect(doc).toMatch(/<!-- NEW FAULT KINDS[\s\S]*<!-- END OF NEW FAULT KINDS -->/);
  });

  test('every fault kind of the schema is documented', () => {
    const missing = KINDS.filter((k) => !doc.includes(`\`${k}\``));
    expect(missing, 'fault kinds without documentation').toEqual([]);
  });

  test('every JSON example is a valid plan (or a valid rule of one)', () => {
    const blocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!) as object);
    const plans = blocks.filter((b) => !('json.schemas' in b));
    expect(plans.length).toBeGreaterThan(8);
    for (const b of plans) {
      const asPlan = 'fault' in b ? { groups: { edge: ['ep-0'] }, rules: [b] } : b;
      expect(() => parseFaultPlan(asPlan), JSON.stringify(b)).not.toThrow();
    }
  });
});

/** A user's scenario whose seeds often leave fewer than 4 of 6 endpoints answering. */
const FLAKY = `import { fanOut } from '@fanout/core';
import { defineScenario, httpService } from '@fanout/scenarios';

const KINDS = ['ok', 'ok', 'partition', 'dropRequest', 'dropReply'] as const;

export default defineScenario({
  name: 'mine.flaky',
  title: 'six endpoints, four must answer',
  guarantees: ['four-answer'] as const,
  plan({ rng }) {
    const kinds = Array.from({ length: 6 }, () => rng.pick(KINDS));
    const of = (k: string) => kinds.flatMap((x, i) => (x === k ? ['ep-' + i] : []));
    const rules = ['partition', 'dropRequest', 'dropReply']
      .filter((k) => of(k).length > 0)
      .map((k) => ({ fault: k, targets: of(k) }) as never);
    return {
      latency: { default: { kind: 'constant', ms: 10 } },
      rules: [...rules, { fault: 'duplicateReply', targets: ['ep-' + rng.int(0, 5)] }],
    };
  },
  async run({ world, check, latency }) {
    const eps = await Promise.all(
      Array.from({ length: 6 }, (_, i) => httpService(world, () => new Response(String(i)), { target: 'ep-' + i })),
    );
    const r = await fanOut(eps, async (ep, { signal }) => (await world.fetch(ep.url, { signal })).text(), {
      key: (ep) => ep.target,
      clock: world.clock,
      timeoutMs: 500,
    });
    latency(r.elapsedMs);
    check('four-answer', r.fulfilled.length >= 4, r.fulfilled.length + ' of 6 answered');
  },
});
`;

describe('fanout shrink and run --until-failure (a user scenario through fanout.config.ts)', () => {
  writeFileSync(join(user, 'flaky.ts'), FLAKY);
  writeFileSync(join(user, 'fanout.config.ts'), `export default { scenarios: ['./flaky.ts'] };\n`);
  const replays = join(user, 'replays');

  test("fanout run --jobs 2: each violating run (kept hash only, run again for its lines) writes a trace file whose SHA-256 is its replay file's hash", () => {
    const out = join(dir, 'jobs-replays');
    const r = fanout(
      ['run', 'mine.flaky', '--runs', '12', '--jobs', '2', '--quiet', '--replay-dir', out],
      user,
    );
    expect(r.code, r.out + r.err).toBe(1);
    const files = readdirSync(out).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const trace = readFileSync(join(out, f.replace(/\.json$/, '.trace.jsonl')));
      expect(trace.length).toBeGreaterThan(0);
      expect(createHash('sha256').update(trace).digest('hex')).toBe(readReplayFile(join(out, f)).traceHash);
    }
    expect(r.out).not.toMatch(/the same seed run again for its trace file/);
  }, 120_000);

  test('--until-failure: seeds from the --seed stream, the first violation saved and shrunk; the minimal file replays exactly', () => {
    const r = fanout(
      ['run', 'mine.flaky', '--until-failure', '--seed', '5', '--budget', '2m', '--replay-dir', replays],
      user,
    );
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toContain('seeds drawn from stream root 5 (the same search again: --seed 5)');
    const seedLine = /mine\.flaky seed=(\d+) VIOLATED four-answer/.exec(r.out);
    expect(seedLine).not.toBeNull();
    const replay = join(replays, `mine.flaky-sim-${seedLine![1]}.json`);
    const minimal = replay.replace(/\.json$/, '.min.json');
    expect(r.out).toContain(`fanout replay ${replay}`);
    // The seeds that held kept only their trace hash; the violating one was run again for its
    // lines: the trace file is the run's, byte for byte (its SHA-256 is the replay file's hash).
    const trace = replay.replace(/\.json$/, '.trace.jsonl');
    expect(r.out).toContain(`trace (JSON Lines): ${trace}`);
    expect(r.out).not.toContain('NOT DETERMINISTIC');
    expect(createHash('sha256').update(readFileSync(trace)).digest('hex')).toBe(
      readReplayFile(replay).traceHash,
    );
    expect(r.out).toContain(`minimal replay file: ${minimal}`);
    expect(r.out).toMatch(/before: \d+ rule\(s\), \d+ target\(s\) named, 0 option\(s\) off their default/);
    expect(r.out).toContain('after:  1 rule(s), 3 target(s) named, 0 option(s) off their default');
    const file = readReplayFile(minimal);
    expect(file.plan.rules).toHaveLength(1);
    expect(file.violation).toBe('four-answer: 3 of 6 answered');

    const again = fanout(['replay', minimal], user);
    expect(again.code).toBe(1);
    expect(again.out).toContain('VIOLATED four-answer: 3 of 6 answered');
    expect(again.out).toContain(`trace hash reproduced: ${file.traceHash}`);

    // The same --seed draws the same seeds: the search is reproducible.
    const same = fanout(
      ['run', 'mine.flaky', '--until-failure', '--seed', '5', '--runs', '1', '--replay-dir', join(dir, 'r2')],
      user,
    );
    expect(same.out).toContain(`mine.flaky seed=${seedLine![1]} `);
  }, 120_000);

  test('shrink FILE --out --max-runs: bounded, writes where asked; a run that holds has nothing to shrink (exit 1)', () => {
    const r0 = fanout(
      ['run', 'mine.flaky', '--runs', '30', '--quiet', '--replay-dir', replays, '--jobs', '1'],
      user,
    );
    expect(r0.code).toBe(1);
    const replay = /fanout replay (\S+)/.exec(r0.out)![1]!;
    const out = join(dir, 'small.json');
    const r = fanout(['shrink', replay, '--out', out, '--max-runs', '3'], user);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain('at most 3 run(s)');
    expect(r.out).toMatch(/in [1-3] run\(s\)/);
    expect(r.out).toContain(`minimal replay file: ${out}`);
    expect(existsSync(out.replace(/\.json$/, '.trace.jsonl'))).toBe(true);
    expect(readReplayFile(out).violation).toMatch(/^four-answer: /);

    // The same file with a plan under which every endpoint answers.
    const holding = join(dir, 'holding.json');
    writeFileSync(holding, JSON.stringify({ ...readReplayFile(replay), plan: {}, traceHash: undefined }));
    const none = fanout(['shrink', holding], user);
    expect(none.code).toBe(1);
    expect(none.err).toContain('every guarantee held, nothing to shrink');
  }, 120_000);

  test('usage errors: exit 2', () => {
    expect(fanout(['shrink', join(dir, 'missing.json')]).code).toBe(2);
    expect(fanout(['shrink']).code).toBe(2);
    expect(fanout(['run', '--until-failure', '--budget', 'banana']).code).toBe(2);
    expect(fanout(['run', '--until-failure', '--budget', '0s']).code).toBe(2);
  }, 60_000);
});
