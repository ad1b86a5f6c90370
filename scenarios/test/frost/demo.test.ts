/**
 * The FROST demo as a `Demo` (what `fanout frost demo` runs), in sim: a DKG and a signing session
 * end with a signature that verifies and exit 0; the board gets one phase per round and the
 * round's fan-out events with the participants' names; the same seed gives the same trace hash;
 * mainline's 1000-byte limit is the expected failure; bad flag combinations are refused naming the
 * option; an interrupt stops the run.
 */
import { describe, expect, test } from 'vitest';
import type { OptionsError } from '../../src/kernel/index.js';
import { parseOptions, type ScenarioEvent } from '../../src/kernel/index.js';
import { frostDemo } from '../../src/frost/demo.js';

async function run(
  input: Record<string, unknown>,
  onEvent: (e: ScenarioEvent, abort: AbortController) => void = () => {},
): Promise<{ code: number; lines: string[]; events: ScenarioEvent[] }> {
  const lines: string[] = [];
  const events: ScenarioEvent[] = [];
  const abort = new AbortController();
  const options = parseOptions(frostDemo.options, input, 'fanout frost demo');
  const code = await frostDemo.run(options, {
    log: (l) => lines.push(l),
    onEvent: (e) => {
      events.push(e);
      onEvent(e, abort);
    },
    signal: abort.signal,
    wallNow: () => 0,
  });
  return { code, lines, events };
}

describe('fanout frost demo (sim)', () => {
  test('DKG 2-of-3 and a signing session: a signature ed25519.verify accepts, the oracle matched, exit 0; progress by round with names; same seed, same trace hash', async () => {
    const a = await run({ participants: 3, minSigners: 2, seed: 5 });
    expect(a.code, a.lines.join('\n')).toBe(0);
    expect(a.lines).toContain('ed25519.verify(signature, SHA-256(target), groupKey) = true');
    expect(a.lines.filter((l) => l.startsWith('Oracle: matched'))).toHaveLength(3);
    const phases = a.events.flatMap((e) => (e.type === 'phase' ? [e.name] : []));
    expect(phases.slice(0, 4)).toEqual([
      'dkg invite: send',
      'dkg round1: collect',
      'dkg round1: send',
      'dkg round2: collect',
    ]);
    const started = a.events.find((e) => e.type === 'fanout' && e.command === 'dkg round1 collect');
    expect(started).toMatchObject({ event: { type: 'started', total: 3 } });
    // Labels are the participants' names, in the round's target order (members sorted by XID).
    expect([...((started as { labels?: string[] }).labels ?? [])].sort()).toEqual(['Bob', 'Carol', 'Dan']);
    // Dan (the spare participant) declines to sign.
    expect(
      a.events.some(
        (e) =>
          e.type === 'fanout' &&
          e.command === 'sign round1 collect' &&
          e.event.type === 'settled' &&
          e.event.outcome.status === 'rejected',
      ),
    ).toBe(true);
    const hash = (ls: string[]) => ls.find((l) => l.startsWith('trace hash'));
    const b = await run({ participants: 3, minSigners: 2, seed: 5 });
    expect(hash(b.lines)).toBe(hash(a.lines));
  });

  test('mainline: the DKG fails at the invitation with the 1000-byte limit, as the oracle expects (exit 0)', async () => {
    const r = await run({ participants: 3, minSigners: 2, backend: 'mainline' });
    expect(r.lines.join('\n')).toContain('Failed: dkg invite: could not store every invitation: Value size');
    expect(
      r.lines.some((l) => l.startsWith('Oracle: matched: mainline: expected failure at dkg invite')),
    ).toBe(true);
    expect(r.code).toBe(0);
  });

  test('options: min-signers above participants, or an in-process backend live, are refused naming the option', () => {
    const issue = (input: Record<string, unknown>): string[] => {
      try {
        parseOptions(frostDemo.options, input, 'fanout frost demo');
      } catch (e) {
        return (e as OptionsError).issues.map((i) => i.path);
      }
      return [];
    };
    expect(issue({ participants: 3, minSigners: 4 })).toEqual(['minSigners']);
    expect(issue({ backend: 'memory', mode: 'live' })).toEqual(['backend']);
    expect(issue({ timeout: 0 })).toEqual(['timeout']);
  });

  test('an interrupt during the DKG round 1 collect aborts it: the round reports every participant cancelled, nothing is signed', async () => {
    const r = await run({ participants: 3, minSigners: 2 }, (e, abort) => {
      if (e.type === 'phase' && e.name === 'dkg round1: collect') abort.abort(new Error('interrupted'));
    });
    expect(r.code).toBe(1);
    expect(r.lines).toContain('Aborted: the run was interrupted.');
    const settled = r.events.flatMap((e) =>
      e.type === 'fanout' && e.command === 'dkg round1 collect' && e.event.type === 'settled'
        ? [e.event.outcome.status]
        : [],
    );
    expect(settled).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(r.lines.join('\n')).not.toContain('ed25519.verify');
  });
});
