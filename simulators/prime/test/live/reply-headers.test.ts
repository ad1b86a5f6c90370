/**
 * Sim and live tiers send the Prime apps' JSON replies with the same headers: Content-Type
 * application/json and a Content-Length equal to the body's byte length (@hono/node-server sends
 * it live; src/reply.ts declares it for the SimNetwork).
 */
import { loadIris, prepareFederatedData } from '@fanout/prime';
import { createRng } from '@fanout/sim';
import { afterEach, describe, expect, it } from 'vitest';
import { COORDINATOR_SIM_ORIGIN, bindCoordinator, createPrimeSimWorld } from '../../src/index.js';
import { startTrainerServer } from '../../src/live/index.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** The requests asked of a trainer, by path: answers 200, 401 and 400. */
const TRAINER_REQUESTS: readonly [string, RequestInit][] = [
  ['/info', {}],
  ['/heartbeat', {}],
  ['/heartbeat', { headers: { authorization: 'Bearer tok' } }],
  ['/train', { method: 'POST', headers: { authorization: 'Bearer tok' }, body: '{"taskId":1}' }],
  ['/train', { method: 'POST', headers: { authorization: 'Bearer tok' }, body: 'not json' }],
];

/** Status, Content-Type, Content-Length and the body's byte length of one reply. */
async function shape(res: Response): Promise<[number, string | null, string | null, number]> {
  const body = new Uint8Array(await res.arrayBuffer());
  return [res.status, res.headers.get('content-type'), res.headers.get('content-length'), body.byteLength];
}

describe('Prime JSON replies: the same headers in sim and live', () => {
  it('a trainer declares Content-Length in both tiers, equal to the body bytes', async () => {
    const w = await createPrimeSimWorld({ seed: 4, trainers: 2, authToken: 'tok' });
    const shard = prepareFederatedData(loadIris(), { trainers: 2 }).shards[0]!;
    const live = await startTrainerServer({
      nodeId: 'trainer-0',
      shard,
      rng: createRng(4),
      authToken: 'tok',
    });
    closers.push(() => live.close());
    for (const [path, init] of TRAINER_REQUESTS) {
      const sim = await shape(await w.net.fetch(`${w.trainers[0]!.origin}${path}`, init));
      const real = await shape(await fetch(`${live.url}${path}`, init));
      for (const [tier, [status, type, length, bytes]] of [
        ['sim', sim],
        ['live', real],
      ] as const) {
        expect(type, `${tier} ${path} ${status}`).toBe('application/json');
        expect(length, `${tier} ${path} ${status}`).toBe(String(bytes));
      }
      expect(sim[0], path).toBe(real[0]);
    }
  });

  it('the coordinator API declares Content-Length on the SimNetwork, errors included', async () => {
    const w = await createPrimeSimWorld({ seed: 5, trainers: 2 });
    bindCoordinator(w.net, w.coordinator, { registrationToken: 'join' });
    const requests: [string, RequestInit, number][] = [
      ['/status', {}, 200],
      ['/nodes', {}, 200],
      ['/ledger', {}, 200],
      ['/nodes', { method: 'POST', body: '{}' }, 401],
      ['/nodes', { method: 'POST', headers: { authorization: 'Bearer join' }, body: '{' }, 400],
      ['/rounds/7', {}, 404],
    ];
    for (const [path, init, expected] of requests) {
      const [status, type, length, bytes] = await shape(
        await w.net.fetch(`${COORDINATOR_SIM_ORIGIN}${path}`, init),
      );
      expect(status, path).toBe(expected);
      expect(type, path).toBe('application/json');
      expect(length, path).toBe(String(bytes));
    }
  });
});
