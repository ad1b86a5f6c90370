/**
 * The packages as a user gets them: build, `pnpm pack` every publishable package, install the
 * tarballs into a temporary project OUTSIDE the workspace (our packages from the .tgz files only,
 * third-party ones from the local store, preferring it to the registry), then run a user scenario there with plain
 * `node` — no tsx, no workspace links, no source condition — through the public API and through
 * the installed `fanout` command with a fanout.config.mjs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const work = mkdtempSync(join(tmpdir(), 'fanout-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const USER_SCENARIO = `import { defineScenario, httpService } from '@fanout/scenarios';
import { fanOut } from '@fanout/core';

export default defineScenario({
  name: 'mine.majority',
  title: 'three of five endpoints answer',
  guarantees: ['majority'],
  plan: ({ rng }) => ({
    latency: { default: { kind: 'uniform', minMs: 5, maxMs: 50 } },
    rules: [{ fault: 'partition', targets: ['ep-' + rng.int(0, 4)] }],
  }),
  async run({ world, check, fanOutEvents }) {
    const eps = await Promise.all([0, 1, 2, 3, 4].map((i) => httpService(world, () => new Response('ok'), { target: 'ep-' + i })));
    const r = await fanOut(eps, async (ep, { signal }) => (await world.fetch(ep.url, { signal })).text(), {
      key: (ep) => ep.target,
      clock: world.clock,
      timeoutMs: 1000,
      quorum: { count: 3, exit: 'early' },
      onEvent: fanOutEvents('ask'),
    });
    check('majority', r.quorumMet === true, r.fulfilled.length + ' answers');
  },
});
`;

const USER_RUN = `import { runMany, checkDeterminism } from '@fanout/scenarios';
import scenario from './majority.mjs';
const s = await runMany(scenario, { seed: 1, runs: 25, replayDir: false });
const d = await checkDeterminism(scenario, { seeds: [1, 2, 3] });
console.log(JSON.stringify({ runs: s.runs, held: s.runsHeld, mismatches: d.mismatches.length }));
`;

/** Run a command in `cwd`; returns exit code and output. */
function sh(cwd: string, cmd: string, args: readonly string[]): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, CI: '1', NO_COLOR: '1' } });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('packed packages in a project outside the workspace (docs/own-client.md)', () => {
  test('tools/pack.mjs --into an empty folder; a plain-node user scenario through the API and the fanout command; the TypeScript example fails, then passes', () => {
    const project = join(work, 'my-oracle');
    const packs = join(work, 'packs');
    execFileSync(process.execPath, ['tools/pack.mjs', '--out', packs, '--into', project], {
      cwd: root,
      stdio: 'pipe',
    });
    // Published manifests point at dist/ and carry no workspace protocol.
    const manifest = readFileSync(join(project, 'node_modules/@fanout/scenarios/package.json'), 'utf8');
    expect(manifest).not.toContain('workspace:');
    expect(JSON.parse(manifest).exports['.'].default).toBe('./dist/index.js');

    // A user scenario in plain JavaScript, run with plain node through the public API.
    writeFileSync(join(project, 'majority.mjs'), USER_SCENARIO);
    writeFileSync(join(project, 'run.mjs'), USER_RUN);
    const api = sh(project, process.execPath, ['run.mjs']);
    expect(api.code, api.out).toBe(0);
    expect(JSON.parse(api.out)).toEqual({ runs: 25, held: 25, mismatches: 0 });
    writeFileSync(join(project, 'fanout.config.mjs'), `export default { scenarios: ['./majority.mjs'] };\n`);
    const cli = sh(project, process.execPath, [
      'node_modules/@fanout/cli/dist/main.js',
      'run',
      'mine',
      '--runs',
      '10',
      '--quiet',
    ]);
    expect(cli.code, cli.out).toBe(0);
    expect(cli.out).toContain('All guarantees held (10 checks)');

    // The TypeScript example of docs/own-client.md: the broken client fails with a replay command,
    // the replay reproduces it, the real client passes.
    for (const f of ['src', 'scenarios', 'fanout.broken.config.ts'])
      cpSync(join(root, 'examples/own-client', f), join(project, f), { recursive: true });
    rmSync(join(project, 'fanout.config.mjs'));
    const fanout = join(project, 'node_modules/.bin/fanout');
    const broken = sh(project, fanout, [
      'run',
      'oracle',
      '--config',
      'fanout.broken.config.ts',
      '--runs',
      '30',
      '--quiet',
    ]);
    expect(broken.code, broken.out).toBe(1);
    const replay = /fanout replay (\S+)/.exec(broken.out)![1]!;
    const again = sh(project, fanout, ['replay', replay, '--config', 'fanout.broken.config.ts']);
    expect(again.code, again.out).toBe(1);
    expect(again.out).toContain('trace hash reproduced');
    cpSync(join(root, 'examples/own-client/fanout.config.ts'), join(project, 'fanout.config.ts'));
    const fixed = sh(project, fanout, ['run', 'oracle', '--runs', '30', '--quiet']);
    expect(fixed.code, fixed.out).toBe(0);
  }, 600_000);
});
