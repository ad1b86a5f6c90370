#!/usr/bin/env node
// Pack fanout-lab's packages for a project outside this repository (they are not on a registry).
//
//   node tools/pack.mjs [--out DIR] [--into PROJECT] [--no-build]
//
// Builds every package (pnpm build), runs `pnpm pack` for each publishable one into DIR (default
// .fanout/packs), and writes DIR/overrides.json ({ "@fanout/core": "file:/…/fanout-core-0.1.0.tgz", … }).
// With --into PROJECT, adds @fanout/scenarios, @fanout/core and @fanout/cli (and zod) to PROJECT's
// package.json (creating it if missing), maps every @fanout/* package to its tarball with
// pnpm.overrides, and installs with `pnpm install --prefer-offline` (ours from the tarballs only;
// third-party packages from the local pnpm store, their registry metadata fetched only when the
// store has none, as on a machine whose store was filled by a frozen-lockfile install).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const out = resolve(flag('--out') ?? join(root, '.fanout/packs'));
const into = flag('--into') === undefined ? undefined : resolve(flag('--into'));
const quiet = { stdio: ['ignore', 'ignore', 'inherit'] };

/** Workspace folders of the publishable packages (not private, not the test kit). */
function publishable() {
  const dirs = ['packages', 'simulators'].flatMap((d) => readdirSync(join(root, d)).map((n) => `${d}/${n}`));
  return [...dirs, 'scenarios', 'apps/cli'].filter((d) => {
    const file = join(root, d, 'package.json');
    if (!existsSync(file)) return false;
    const p = JSON.parse(readFileSync(file, 'utf8'));
    return p.private !== true && p.name !== '@fanout/testkit';
  });
}

if (!args.includes('--no-build')) execFileSync('pnpm', ['build'], { cwd: root, ...quiet });
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const overrides = {};
for (const dir of publishable()) {
  const { name } = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
  const before = new Set(readdirSync(out));
  execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd: join(root, dir), ...quiet });
  const file = readdirSync(out).find((f) => !before.has(f));
  overrides[name] = `file:${join(out, file)}`;
}
writeFileSync(join(out, 'overrides.json'), `${JSON.stringify(overrides, null, 2)}\n`);
console.log(`${Object.keys(overrides).length} packages packed into ${out}`);

if (into !== undefined) {
  mkdirSync(into, { recursive: true });
  const file = join(into, 'package.json');
  const pkg = existsSync(file)
    ? JSON.parse(readFileSync(file, 'utf8'))
    : { name: 'my-fanout-project', private: true, type: 'module' };
  const zod = JSON.parse(readFileSync(join(root, 'scenarios/package.json'), 'utf8')).dependencies.zod;
  pkg.dependencies = {
    ...pkg.dependencies,
    zod,
    '@fanout/scenarios': overrides['@fanout/scenarios'],
    '@fanout/core': overrides['@fanout/core'],
  };
  pkg.devDependencies = { ...pkg.devDependencies, '@fanout/cli': overrides['@fanout/cli'] };
  pkg.pnpm = { ...pkg.pnpm, overrides: { ...pkg.pnpm?.overrides, ...overrides } };
  writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
  execFileSync('pnpm', ['install', '--prefer-offline', '--config.confirmModulesPurge=false'], {
    cwd: into,
    ...quiet,
  });
  console.log(
    `installed into ${into}: @fanout/scenarios, @fanout/core, @fanout/cli (the fanout command), zod`,
  );
}
