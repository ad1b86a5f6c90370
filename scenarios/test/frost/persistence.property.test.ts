/**
 * Hubert persistence (sim), through the HTTP app: no acknowledged put is lost across server
 * restarts, and write-once holds across them. (Write-once under concurrent puts is a property of
 * simulators/hubert/test/memory.test.ts.)
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assertProperty } from '@fanout/testkit';
import { VirtualClock } from '@fanout/core';
import {
  AlreadyExistsError,
  HubertHttpClient,
  aridToUr,
  createHubertApp,
  createServerKvStore,
  envelopeToUr,
} from '@fanout/sim-hubert';

describe('Hubert persistence (sim)', () => {
  test('no acknowledged put is lost across server restarts; write-once holds across them', async () => {
    type Op = { kind: 'put'; key: number } | { kind: 'restart' };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: 0, max: 5 }).map((key) => ({ kind: 'put' as const, key })) },
      { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
    );
    await assertProperty(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
        const clock = new VirtualClock();
        const store = createServerKvStore({ clock });
        const app = createHubertApp(store);
        const client = new HubertHttpClient({ baseUrl: 'http://hubert.sim', fetch: app.fetch, clock });
        const arid = (k: number): string => aridToUr(new Uint8Array(32).fill(k + 1));
        const acked = new Map<number, string>();
        let n = 0;
        for (const op of ops) {
          if (op.kind === 'restart') {
            store.restart();
            continue;
          }
          const value = envelopeToUr(new TextEncoder().encode(`v${n++}`));
          const put = await client.put(arid(op.key), value).then(
            () => 'ok' as const,
            (e: unknown) => e,
          );
          if (acked.has(op.key)) expect(put).toBeInstanceOf(AlreadyExistsError);
          else {
            expect(put).toBe('ok');
            acked.set(op.key, value);
          }
        }
        store.restart();
        for (const [k, v] of acked) expect(await client.get(arid(k), { timeoutSeconds: 0 })).toBe(v);
      }),
      { numRuns: 40 },
    );
  });
});
