/**
 * The coordinator's HTTP API on SimNetwork: trainers register themselves over HTTP, a round is
 * started over HTTP, status / progress / ledger / metrics read back; auth and bad input; and a
 * coordinator crash + restart mid-round, resumed from the log, over the simulated network.
 */
import { describe, expect, it } from 'vitest';
import {
  COORDINATOR_SIM_ORIGIN,
  RegistrationError,
  bindCoordinator,
  createPrimeSimWorld,
  registerOverHttp,
} from '../src/index.js';

const irisConfig = { detection: { similarityThreshold: 0 } } as const;

describe('coordinator HTTP API (SimNetwork)', () => {
  it('registration, rounds, status, progress, ledger and metrics over HTTP; bad input gets 4xx and the server keeps serving', async () => {
    const w = await createPrimeSimWorld({ seed: 9, trainers: 4, config: irisConfig });
    bindCoordinator(w.net, w.coordinator, { registrationToken: 'join' });
    const f = w.net.fetch;
    const url = (p: string) => `${COORDINATOR_SIM_ORIGIN}${p}`;
    // A fifth trainer registers itself (the world registered four directly).
    await expect(registerOverHttp(f, COORDINATOR_SIM_ORIGIN, { nodeId: 'late-1' })).rejects.toMatchObject({
      status: 401,
    });
    expect(
      (
        await registerOverHttp(
          f,
          COORDINATOR_SIM_ORIGIN,
          { nodeId: 'trainer-0', endpoint: w.trainers[0]!.origin },
          { token: 'join' },
        )
      ).status,
    ).toBe(200);
    const bad = await registerOverHttp(f, COORDINATOR_SIM_ORIGIN, { nodeId: 'x y' }, { token: 'join' }).catch(
      (e: unknown) => e,
    );
    expect(bad).toBeInstanceOf(RegistrationError);
    expect((bad as RegistrationError).body).toMatchObject({ field: 'node.nodeId' });
    const garbage = await f(url('/nodes'), {
      method: 'POST',
      headers: { authorization: 'Bearer join' },
      body: '{{{',
    });
    expect(garbage.status).toBe(400);
    expect((await f(url('/status'))).status).toBe(200);

    const started = await f(url('/rounds'), {
      method: 'POST',
      headers: { authorization: 'Bearer join' },
      body: JSON.stringify({ closeAfter: 3 }),
    });
    expect(started.status).toBe(200);
    const report = (await started.json()) as {
      round: number;
      status: string;
      outcomes: { nodeId: string; status: string }[];
    };
    expect(report).toMatchObject({ round: 1, status: 'committed' });
    expect(report.outcomes).toHaveLength(4);
    expect(await (await f(url('/rounds/1/progress'))).json()).toMatchObject({
      round: 1,
      completed: 3,
      total: 4,
    });
    expect((await f(url('/rounds/7/progress'))).status).toBe(404);
    expect((await f(url('/rounds/abc/progress'))).status).toBe(400);
    expect(((await (await f(url('/rounds/1'))).json()) as { round: number }).round).toBe(1);
    expect(await (await f(url('/status'))).json()).toMatchObject({
      activeNodes: 4,
      completedRounds: 1,
      currentRound: 1,
    });
    expect(((await (await f(url('/ledger'))).json()) as unknown[]).length).toBe(3);
    const metrics = await f(url('/metrics'));
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toMatch(
      /^daa_coordinator_tasks_completed_total\{coordinator="coordinator-001"\} 3$/m,
    );
    const conflict = await f(url('/rounds'), {
      method: 'POST',
      headers: { authorization: 'Bearer join' },
      body: JSON.stringify({ round: 1 }),
    });
    expect(conflict.status).toBe(409);
    w.close();
  });

  it('coordinator crash mid-round and restart: the resumed round counts each received update once', async () => {
    const w = await createPrimeSimWorld({
      seed: 10,
      config: irisConfig,
      computeLatency: (i) => ({ kind: 'constant', ms: 100 * (i + 1) }),
      plan: { rules: [{ fault: 'behave', targets: ['trainer-1'], behaviour: 'duplicate', params: {} }] },
    });
    await w.coordinator.runRound(); // round 1: 0–1000 ms
    const old = w.coordinator;
    const running = old.runRound();
    await w.clock.sleep(450); // trainers 0–3 answered round 2
    const c = await w.restartCoordinator();
    expect((await running).reason).toBe('aborted');
    expect(c.interruptedRounds()).toEqual([2]);
    expect(c.getRoundProgress(2).completed).toBe(3); // trainer-1 sent a duplicate: rejected on arrival
    const r = await c.resumeRound(2);
    expect(r.status).toBe('committed');
    expect(r.outcomes.get('trainer-1')).toMatchObject({ status: 'rejected', reason: 'duplicate' });
    expect(r.acceptedUpdateIds).toHaveLength(9);
    expect(new Set(r.acceptedUpdateIds).size).toBe(9);
    // The trainers that answered before the crash were not asked again.
    for (const id of ['trainer-0', 'trainer-2', 'trainer-3'])
      expect(w.trainers.find((t) => t.nodeId === id)!.trainer.tasksServed).toBe(2);
    w.close();
  });
});
