// The example as CI runs it: the real client holds on 200 seeds (exit 0), the broken one is caught
// (exit 1, a no-hol violation and a replay command). Uses the `fanout` command of @fanout/cli.
import { spawnSync } from 'node:child_process';

const fanout = (...args) => {
  const r = spawnSync('fanout', args, { encoding: 'utf8', shell: process.platform === 'win32' });
  if (r.error) throw r.error;
  return r;
};

const good = fanout('run', 'oracle', '--runs', '200', '--quiet');
process.stdout.write(good.stdout + good.stderr);
if (good.status !== 0) throw new Error(`the real client should hold: exit ${good.status}`);

const bad = fanout(
  'run',
  'oracle',
  '--config',
  'fanout.broken.config.ts',
  '--runs',
  '50',
  '--quiet',
  '--replay-dir',
  '.fanout/broken-replays',
);
process.stdout.write(bad.stdout + bad.stderr);
if (bad.status !== 1 || !bad.stdout.includes('no-hol') || !bad.stdout.includes('fanout replay'))
  throw new Error(
    `the broken client should be caught (exit 1, no-hol, a replay command): exit ${bad.status}`,
  );
console.log('check: the real client holds, the broken one is caught');
