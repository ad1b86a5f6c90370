import { VirtualClock } from '@fanout/core';
import { ruleFaults } from '@fanout/sim-bao';
import { describe, expect, it } from 'vitest';
import { BaoClient, BaoTimeoutError, BaoUnavailableError } from '../src/index.js';
import { simRig } from './sim.js';

describe('BaoClient timeouts (virtual time)', () => {
  it('aborts a request that never answers after the default 30 s, freeing the server slot', async () => {
    const { clock, sim, client } = simRig();
    sim.setFaults(ruleFaults([{ match: { route: 'keys.read' }, action: { type: 'hang' } }]));
    const t0 = clock.now();
    const err = await client.getKey('k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BaoTimeoutError);
    expect(err).toBeInstanceOf(BaoUnavailableError);
    expect((err as BaoTimeoutError).timeoutMs).toBe(30_000);
    expect(clock.now() - t0).toBe(30_000);
    expect(sim.counters()).toMatchObject({ inFlight: 0, dropped: 1 });
  });

  it('honours a per-call timeout and leaves no timer behind after a fast answer', async () => {
    const { clock, sim, client } = simRig();
    sim.setFaults(
      ruleFaults([
        { match: { key: 'slow' }, latencyMs: 1_000 },
        { match: { key: 'fast' }, latencyMs: 100 },
      ]),
    );
    await expect(client.getKey('slow', { timeoutMs: 250 })).rejects.toBeInstanceOf(BaoTimeoutError);
    expect(clock.now()).toBe(250);
    await client.createKey('fast');
    expect(clock.now()).toBe(350);
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects with the caller’s own abort reason, not a timeout', async () => {
    const { clock, sim, client } = simRig({ clock: new VirtualClock({ autoAdvance: false }) });
    sim.setFaults(ruleFaults([{ action: { type: 'hang' } }]));
    const ctl = new AbortController();
    const p = client.getKey('k', { signal: ctl.signal });
    await clock.advance(10);
    const reason = new Error('user pressed Ctrl-C');
    ctl.abort(reason);
    await expect(p).rejects.toBe(reason);
    await expect(client.getKey('k', { signal: ctl.signal })).rejects.toBe(reason);
    expect(sim.counters().inFlight).toBe(0);
  });

  it('times out even when the fetch implementation ignores its AbortSignal', async () => {
    const clock = new VirtualClock();
    const client = new BaoClient({
      address: 'http://x',
      token: 't',
      clock,
      fetch: () => new Promise<Response>(() => undefined),
    });
    await expect(client.health()).rejects.toBeInstanceOf(BaoTimeoutError);
    expect(clock.now()).toBe(30_000);
  });
});
