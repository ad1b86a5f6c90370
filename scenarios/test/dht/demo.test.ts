/**
 * `fanout dht demo` as a Demo (kernel system.ts): options from its zod schema (the old flags'
 * names and defaults), progress as scenario events (phases, fan-out events labelled by contact),
 * the totals through io.log, exit code 0 iff every contact matches the oracle.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { describeOptions, parseOptions, type ScenarioEvent } from '../../src/kernel/index.js';
import { dhtDemo } from '../../src/dht/index.js';
import { FANOUT_NODE_ARGS } from '@fanout/testkit/cli';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function io(): { logs: string[]; events: ScenarioEvent[]; io: Parameters<typeof dhtDemo.run>[1] } {
  const logs: string[] = [];
  const events: ScenarioEvent[] = [];
  return {
    logs,
    events,
    io: {
      log: (l) => logs.push(l),
      onEvent: (e) => events.push(e),
      signal: new AbortController().signal,
      wallNow: () => 0,
    },
  };
}

describe('fanout dht demo', () => {
  test('the options keep the old flags’ names and defaults (slow 1500 ms in live)', () => {
    const d = Object.fromEntries(describeOptions(dhtDemo.options).map((o) => [o.name, o.default]));
    expect(d).toEqual({
      contacts: 100,
      mode: 'sim',
      seed: 1,
      nodes: 100,
      lookupMs: 300,
      slowMs: 6000,
      concurrency: 50,
      earlyFraction: 1,
    });
    expect(dhtDemo.liveDefaults).toEqual({ slowMs: 1500 });
    expect(parseOptions(dhtDemo.options, { concurrency: 'none' }, 'demo').concurrency).toBe('none');
    expect(() => parseOptions(dhtDemo.options, { earlyFraction: 0 }, 'demo')).toThrow(/earlyFraction/);
  });

  test('sim: every contact matches the oracle; progress is phases and labelled fan-out events; the totals are printed', async () => {
    const t = io();
    const options = parseOptions(dhtDemo.options, { contacts: 30, nodes: 40, seed: 3 }, 'demo');
    expect(await dhtDemo.run(options, t.io)).toBe(0);
    const out = t.logs.join('\n');
    expect(out).toContain('Totals (virtual time)');
    expect(out).toMatch(
      /contacts {3}\d+ delivered, \d+ empty, \d+ not found, 1 malformed, 0 timeout, 0 error \(of 30\)/,
    );
    expect(out).toContain('Every contact matches the oracle.');
    expect(t.events.filter((e) => e.type === 'phase').map((e) => (e as { name: string }).name)).toContain(
      'retrieve',
    );
    const settled = t.events.filter((e) => e.type === 'fanout' && e.event.type === 'settled');
    expect(settled).toHaveLength(30);
    expect(
      settled.every((e) => e.type === 'fanout' && e.command === 'retrieve' && e.labels?.[0] === 'c0'),
    ).toBe(true);
    // The slow contact decides the elapsed time (6 s); the fast ones come with the 300 ms floor.
    expect(out).toContain('elapsed    6000.0 virtual ms');
  });

  test('early completion at half the contacts: the rest are reported timeout (early-completion), which the oracle accepts', async () => {
    const t = io();
    const options = parseOptions(dhtDemo.options, { contacts: 20, nodes: 30, earlyFraction: 0.5 }, 'demo');
    expect(await dhtDemo.run(options, t.io)).toBe(0);
    expect(t.logs.join('\n')).toMatch(/timeout +c\d+ \(early-completion\)/);
  });

  test('the CLI: fanout dht demo --contacts 20 --nodes 30 --concurrency none exits 0 with the totals', () => {
    const child = spawnSync(
      process.execPath,
      [...FANOUT_NODE_ARGS, 'dht', 'demo', '--contacts', '20', '--nodes', '30', '--concurrency', 'none'],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CI: '1' }, timeout: 120_000 },
    );
    expect(child.stdout).toContain('concurrency unlimited');
    expect(child.stdout).toContain('Every contact matches the oracle.');
    expect(child.status).toBe(0);
    const bad = spawnSync(process.execPath, [...FANOUT_NODE_ARGS, 'dht', 'demo', '--nodes', '5'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', CI: '1' },
      timeout: 120_000,
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('nodes');
  });
});
