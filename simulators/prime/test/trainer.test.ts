/** The trainer app on its own: honest SGD updates, auth, bad input, and each Byzantine behaviour. */
import { VirtualClock } from '@fanout/core';
import { evaluate, localTrain, loadIris, prepareFederatedData, type TrainingTask } from '@fanout/prime';
import { createRng } from '@fanout/sim';
import { describe, expect, it } from 'vitest';
import { createTrainer, type ActiveBehaviour } from '../src/index.js';

const data = prepareFederatedData(loadIris(), { trainers: 4 });
const shard = data.shards[0]!;

function task(round: number, modelVersion: number, params = new Array(15).fill(0)): TrainingTask {
  return {
    taskId: `task-${round}`,
    taskType: 'gradient_computation',
    round,
    modelVersion,
    params,
    epochs: 1,
    learningRate: 0.1,
    batchSize: 8,
    issuedAt: 0,
    timeoutMs: 1000,
  };
}

function setup(behaviours: ActiveBehaviour[] = [], authToken?: string) {
  const clock = new VirtualClock();
  const active = { list: behaviours };
  const trainer = createTrainer({
    nodeId: 'trainer-0',
    shard,
    clock,
    rng: createRng(3).fork('trainer-0'),
    computeLatency: { kind: 'constant', ms: 250 },
    behaviours: () => active.list,
    ...(authToken === undefined ? {} : { authToken }),
  });
  const post = async (body: unknown, headers: Record<string, string> = {}) =>
    trainer.app.fetch(
      new Request('http://t/train', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    );
  return { clock, trainer, post, active };
}

type Update = {
  updateId: string;
  nodeId: string;
  round: number;
  modelVersion: number;
  numSamples: number;
  delta: (number | null)[];
};

describe('trainer', () => {
  it('answers a task after its compute time (virtual) with a real SGD delta on its shard', async () => {
    const { clock, post, trainer } = setup();
    const res = await post(task(1, 0));
    expect(res.status).toBe(200);
    expect(clock.now()).toBe(250);
    const u = (await res.json()) as Update;
    expect(u).toMatchObject({ nodeId: 'trainer-0', round: 1, modelVersion: 0, numSamples: shard.n });
    expect(u.delta).toHaveLength(15);
    expect(u.updateId).toMatch(/^[0-9a-f]{32}$/);
    // Real training: the delta lowers the shard's loss about as much as one epoch of SGD does.
    const trained = Float64Array.from(u.delta as number[]);
    const plain = localTrain(new Float64Array(15), shard, {
      epochs: 1,
      learningRate: 0.1,
      batchSize: 8,
    }).params;
    expect(evaluate(trained, shard).loss).toBeLessThan(Math.log(3) - 0.05);
    expect(evaluate(trained, shard).loss).toBeCloseTo(evaluate(plain, shard).loss, 1);
    expect(trainer.history).toEqual([
      expect.objectContaining({ round: 1, behaviours: ['honest'], updateId: u.updateId }),
    ]);
  });

  it('is deterministic for a seed', async () => {
    const a = (await (await setup().post(task(1, 0))).json()) as Update;
    const b = (await (await setup().post(task(1, 0))).json()) as Update;
    expect(a).toEqual(b);
  });

  it('wants its bearer token on /train and /heartbeat; /info is open', async () => {
    const { post, trainer } = setup([], 'tok');
    expect((await post(task(1, 0))).status).toBe(401);
    expect((await post(task(1, 0), { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await post(task(1, 0), { authorization: 'Bearer tok' })).status).toBe(200);
    expect((await trainer.app.fetch(new Request('http://t/heartbeat'))).status).toBe(401);
    const hb = await trainer.app.fetch(
      new Request('http://t/heartbeat', { headers: { authorization: 'Bearer tok' } }),
    );
    expect(await hb.json()).toEqual({ nodeId: 'trainer-0', status: 'ok' });
    expect(await (await trainer.app.fetch(new Request('http://t/info'))).json()).toMatchObject({
      nodeId: 'trainer-0',
      samples: shard.n,
    });
  });

  it('answers bad tasks with 400 naming the field, and keeps serving', async () => {
    const { post } = setup();
    const bad = async (body: unknown) => {
      const r = await post(body);
      expect(r.status).toBe(400);
      return ((await r.json()) as { field: string }).field;
    };
    expect(await bad('{not json')).toBe('body');
    expect(await bad({ ...task(1, 0), round: -1 })).toBe('task.round');
    expect(await bad({ ...task(1, 0), params: [1, 2] })).toBe('task.params');
    expect(await bad({ ...task(1, 0), extra: true })).toBe('task.extra');
    expect((await post(task(1, 0))).status).toBe(200);
  });

  it('applies each value behaviour to its honest delta', async () => {
    const honest = (await (await setup().post(task(1, 0))).json()) as Update;
    const run = async (b: ActiveBehaviour) => (await (await setup([b]).post(task(1, 0))).json()) as Update;
    const d = honest.delta as number[];
    expect((await run({ behaviour: 'sign-flip', params: {} })).delta).toEqual(d.map((v) => -v));
    expect((await run({ behaviour: 'scale', params: { factor: 5 } })).delta).toEqual(d.map((v) => 5 * v));
    expect((await run({ behaviour: 'wrong-shape', params: { drop: 2 } })).delta).toEqual(d.slice(0, 13));
    const nan = await run({ behaviour: 'nan', params: { index: 3 } });
    expect(nan.delta[3]).toBeNull(); // NaN on the JSON wire
    const noise = await run({ behaviour: 'noise', params: { sd: 2 } });
    expect(noise.delta).not.toEqual(d);
    expect(noise.delta.every((v) => typeof v === 'number')).toBe(true);
  });

  it('stale, replay and duplicate use what it remembers; a state loss makes it forget', async () => {
    const { post, active, trainer } = setup();
    const first = (await (await post(task(1, 0))).json()) as Update;
    active.list = [{ behaviour: 'duplicate', params: {} }];
    expect(await (await post(task(2, 1))).json()).toEqual(first);
    active.list = [{ behaviour: 'replay', params: {} }];
    const replay = (await (await post(task(3, 2))).json()) as Update;
    expect(replay).toMatchObject({ round: 3, modelVersion: 2, delta: first.delta });
    expect(replay.updateId).not.toBe(first.updateId);
    active.list = [{ behaviour: 'stale', params: {} }];
    expect(((await (await post(task(4, 3))).json()) as Update).modelVersion).toBe(2);
    expect(trainer.history.map((h) => h.behaviours)).toEqual([
      ['honest'],
      ['duplicate'],
      ['replay'],
      ['stale'],
    ]);
    trainer.loseState();
    active.list = [
      { behaviour: 'replay', params: {} },
      { behaviour: 'bogus', params: {} },
    ];
    await post(task(5, 4));
    expect(trainer.history.map((h) => h.behaviours)).toEqual([['replay-first', 'unknown:bogus']]);
    expect(trainer.tasksServed).toBe(5);
  });
});
