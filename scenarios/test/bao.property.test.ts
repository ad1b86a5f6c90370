/**
 * Bao keyring guarantees as fast-check properties, in sim mode (virtual time, deterministic).
 * Failures print the seed, the shrunk counterexample and a replay command (assertProperty).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assertProperty } from '@fanout/testkit';
import { VirtualClock } from '@fanout/core';
import { BaoClient, BaoKeyring, type SignRequest } from '@fanout/bao-keyring';
import { FORGE_KINDS, createBaoApp, hashInput, verifyCosmosSignature, type ForgeKind } from '@fanout/sim-bao';
import { checkDeterminism } from '@fanout/sim';
import {
  CREATE_FAULTS,
  allVerify,
  baoCreateBatchFaults,
  baoScenarios,
  buildBaoWorld,
  checkFastKeysNotDelayed,
  createFaultAction,
  keyedToRequests,
  oraclePubs,
  runAuthCheck,
  runCreateBatchCheck,
  runSignatureCheck,
  scenarios,
  type CreateFault,
} from '../src/legacy.js';

const heldAll = (gs: readonly { name: string; held: boolean; detail?: string }[]) => {
  for (const g of gs) expect(g, `${g.name}: ${g.detail ?? ''}`).toMatchObject({ held: true });
};

describe('Bao scenarios (sim)', () => {
  test('are registered, and each holds its guarantees with a reproducible trace', async () => {
    for (const s of baoScenarios) {
      expect(scenarios.get(s.name)).toBe(s);
      const r = await s.run({ seed: 11, mode: 'sim', options: s.defaults });
      expect(r.guarantees.map((g) => g.name)).toEqual(s.guarantees);
      heldAll(r.guarantees);
      expect(r.traceHash).toMatch(/^[0-9a-f]{64}$/);
      await checkDeterminism(
        async (seed) => (await s.run({ seed, mode: 'sim', options: s.defaults })).traceHash!,
        11,
      );
    }
  });
});

describe('no head-of-line blocking (virtual time)', () => {
  test('one slow key never delays the others; every result is keyed to its request', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 6 }).chain((workers) =>
          fc.record({
            workers: fc.constant(workers),
            slow: fc.integer({ min: 1, max: workers }),
            fastMs: fc.integer({ min: 10, max: 150 }),
            extraSlowMs: fc.integer({ min: 1, max: 2000 }),
            perWorker: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: workers, maxLength: workers }),
            order: fc.infiniteStream(fc.nat()),
          }),
        ),
        async ({ workers, slow, fastMs, extraSlowMs, perWorker, order }) => {
          const slowMs = fastMs + extraSlowMs;
          const slowName = `w-${slow}`;
          const names = Array.from({ length: workers }, (_, i) => `w-${i + 1}`);
          const world = await buildBaoWorld({
            seed: 3,
            mode: 'sim',
            hooks: [
              { match: { route: 'sign', key: slowName }, latencyMs: slowMs },
              ...names
                .filter((n) => n !== slowName)
                .map((key) => ({ match: { route: 'sign' as const, key }, latencyMs: fastMs })),
            ],
          });
          try {
            await world.keyring.createBatch({ prefix: 'w', count: workers });
            const it = order[Symbol.iterator]();
            const requests: SignRequest[] = names
              .flatMap((uid, i) =>
                Array.from({ length: perWorker[i]! }, (_, k) => ({
                  uid,
                  msg: new TextEncoder().encode(`${uid}/${k}`),
                })),
              )
              .map((r) => ({ r, key: it.next().value as number }))
              .sort((a, b) => a.key - b.key)
              .map(({ r }) => r);
            const t0 = world.elapsed();
            const results = await world.keyring.signBatch(requests);
            expect(world.elapsed() - t0).toBe(slowMs);
            for (const r of results) expect(r.settledAt - t0).toBe(r.uid === slowName ? slowMs : fastMs);
            const pubs = oraclePubs(world);
            heldAll([
              checkFastKeysNotDelayed(results, { t0, slow: slowName, slowMs, fastMs, mode: 'sim' }),
              keyedToRequests(world, pubs, requests, results),
              allVerify(world, pubs, requests, results),
            ]);
          } finally {
            await world.close();
          }
        },
      ),
      { numRuns: 15 },
    );
  });

  test('the checks can fail: serial signing delays fast keys; permuted results are caught', async () => {
    const world = await buildBaoWorld({
      seed: 4,
      mode: 'sim',
      hooks: [
        { match: { route: 'sign', key: 'w-1' }, latencyMs: 500 },
        { match: { route: 'sign', key: /^w-[23]$/ }, latencyMs: 50 },
      ],
    });
    try {
      await world.keyring.createBatch({ prefix: 'w', count: 3 });
      const requests = ['w-1', 'w-2', 'w-3'].map((uid) => ({ uid, msg: new TextEncoder().encode(uid) }));
      const t0 = world.elapsed();
      const serial = await world.keyring.signBatch(requests, { concurrency: 1 });
      // One at a time, the fast keys queue behind the slow one: done at 550 and 600, not 50.
      expect(serial.map((r) => r.settledAt - t0)).toEqual([500, 550, 600]);
      const verdict = checkFastKeysNotDelayed(serial, {
        t0,
        slow: 'w-1',
        slowMs: 500,
        fastMs: 50,
        mode: 'sim',
      });
      expect(verdict.held).toBe(false);
      expect(verdict.detail).toContain('w-2 done at 550.0 ms');
      const pubs = oraclePubs(world);
      const swapped = [serial[1]!, serial[0]!, serial[2]!];
      expect(keyedToRequests(world, pubs, requests, swapped).held).toBe(false);
      const wrongSig = [{ ...serial[0]!, signature: serial[1]!.signature }, serial[1]!, serial[2]!];
      expect(keyedToRequests(world, pubs, requests, wrongSig).held).toBe(false);
      expect(allVerify(world, pubs, requests, wrongSig).held).toBe(false);
      expect(allVerify(world, pubs, requests, serial).held).toBe(true);
    } finally {
      await world.close();
    }
  });
});

describe('results keyed to requests whatever the completion order (fc.scheduler)', () => {
  test('signBatch and createBatch: item i is request i under any interleaving of replies', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.record({ key: fc.nat(), msg: fc.uint8Array({ maxLength: 40 }) }), {
          minLength: 1,
          maxLength: 8,
        }),
        async (s, keys, reqs) => {
          // A manual clock: no timeout can fire while the scheduler holds replies.
          const clock = new VirtualClock({ autoAdvance: false });
          const sim = createBaoApp({ clock, seed: 12 });
          const fetch = (input: string | URL | Request, init?: RequestInit) =>
            s.schedule(sim.fetch(input, init), `${init?.method ?? 'GET'} ${String(input).split('/v1/')[1]}`);
          const client = new BaoClient({ address: 'http://bao.sim', token: 'root', clock, fetch });
          const keyring = new BaoKeyring({ client });
          const created = await s.waitFor(keyring.createBatch({ prefix: 'k', count: keys }));
          created.items.forEach((item, i) => {
            expect(item.uid).toBe(`k-${i + 1}`);
            expect(item.key!.publicKey).toEqual(sim.keyInfo().find((k) => k.name === item.uid)!.publicKey);
          });
          const requests = reqs.map((r) => ({ uid: `k-${(r.key % keys) + 1}`, msg: r.msg }));
          const results = await s.waitFor(keyring.signBatch(requests));
          const pubs = new Map(sim.keyInfo().map((k) => [k.name, k.publicKey]));
          const world = {
            verify: (pub: Uint8Array, msg: Uint8Array, sig: Uint8Array | undefined) =>
              sig !== undefined && verifyCosmosSignature(pub, hashInput(msg, 'sha256'), sig),
          };
          heldAll([
            keyedToRequests(world, pubs, requests, results),
            allVerify(world, pubs, requests, results),
          ]);
        },
      ),
      { numRuns: 25 },
    );
  });
});

const faultArb: fc.Arbitrary<CreateFault | 'none'> = fc.constantFrom<CreateFault | 'none'>(
  'none',
  'none',
  ...CREATE_FAULTS,
);

describe('createBatch under injected failures', () => {
  test('exactly the failed names are reported; successes exist once; a rerun never duplicates or overwrites', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(faultArb, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 40 }),
        async (faults, netMs) => {
          const prefix = 'parallel-worker';
          const windowMs = 100_000;
          const names = faults.map((_, i) => `${prefix}-${i + 1}`);
          const world = await buildBaoWorld({
            seed: 5,
            mode: 'sim',
            latency: { kind: 'constant', ms: netMs },
            hooks: faults.flatMap((f, i) =>
              f === 'none'
                ? []
                : [
                    {
                      match: { route: 'keys.create' as const, key: names[i]! },
                      times: 1,
                      window: { toMs: windowMs },
                      action: createFaultAction(f),
                    },
                  ],
            ),
          });
          try {
            const faulted = new Set(names.filter((_, i) => faults[i] !== 'none'));
            const r = await runCreateBatchCheck(world, { prefix, count: faults.length, faulted, windowMs });
            heldAll(r.guarantees);
            // The exact oracle from the assignment: failed = faulted; lost replies still created the key.
            expect(r.facts.failed).toBe(faulted.size);
            expect(r.facts.ambiguous).toBe(faults.filter((f) => f === 'dropReply').length);
            expect(
              world
                .oracleKeys()
                .map((k) => k.name)
                .sort(),
            ).toEqual([...names].sort());
          } finally {
            await world.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  test('probabilistic plan faults (error rates, lost replies, black holes, 429) on top of per-key hooks', async () => {
    await assertProperty(
      fc.asyncProperty(fc.integer({ min: 1, max: 0xffff }), async (seed) => {
        const r = await baoCreateBatchFaults.run({ seed, mode: 'sim', options: {} });
        heldAll(r.guarantees);
      }),
      { numRuns: 15 },
    );
  });

  test('the check can fail: a key claimed as faulted but created is flagged', async () => {
    const world = await buildBaoWorld({ seed: 6, mode: 'sim' });
    try {
      const r = await runCreateBatchCheck(world, {
        prefix: 'p',
        count: 3,
        faulted: new Set(['p-2']),
        windowMs: 0,
      });
      expect(r.guarantees.find((g) => g.name === 'exactly-failed-names-reported')!.held).toBe(false);
    } finally {
      await world.close();
    }
  });
});

describe('keys per namespace', () => {
  test('the keyring agrees with the server per namespace under any sequence of create/get/sign/delete', async () => {
    const opArb = fc.record({
      op: fc.constantFrom('create', 'get', 'sign', 'delete'),
      ns: fc.constantFrom('', 'team-a', 'team-b'),
      uid: fc.constantFrom('k', 'pw-1', 'pw-2'),
    });
    await assertProperty(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
        const clock = new VirtualClock();
        const sim = createBaoApp({ clock, seed: 13, namespaces: ['team-a', 'team-b'] });
        const client = new BaoClient({ address: 'http://bao.sim', token: 'root', clock, fetch: sim.fetch });
        const keyring = new BaoKeyring({ client });
        const serverPub = (ns: string, uid: string): string | undefined => {
          const k = sim.keyInfo(ns).find((e) => e.name === uid);
          return k === undefined ? undefined : Buffer.from(k.publicKey).toString('hex');
        };
        for (const { op, ns, uid } of ops) {
          const existed = serverPub(ns, uid) !== undefined;
          const call =
            op === 'create'
              ? keyring.create(uid, { namespace: ns })
              : op === 'get'
                ? keyring.get(uid, { namespace: ns })
                : op === 'sign'
                  ? keyring.sign(uid, new Uint8Array([1, 2, 3]), { namespace: ns })
                  : keyring.delete(uid, { namespace: ns });
          const outcome = await call.then(
            (v) => ({ ok: true as const, v }),
            (e: unknown) => ({ ok: false as const, e }),
          );
          const label = `${op} ${ns}/${uid} (existed: ${existed})`;
          // create succeeds iff the key was not in that namespace; get/sign iff it was; delete always.
          expect(outcome.ok, label).toBe(op === 'create' ? !existed : op === 'delete' ? true : existed);
          if (outcome.ok && op !== 'delete') {
            const pub = Buffer.from((outcome.v as { publicKey: Uint8Array }).publicKey).toString('hex');
            expect(pub, label).toBe(serverPub(ns, uid));
          }
          // Local view of every namespace = the server's.
          for (const space of ['', 'team-a', 'team-b']) {
            const local = keyring
              .list({ namespace: space })
              .map((r) => [r.uid, Buffer.from(r.publicKey).toString('hex')]);
            const remote = sim.keyInfo(space).map((k) => [k.name, Buffer.from(k.publicKey).toString('hex')]);
            expect(local, `${label}: namespace '${space}'`).toEqual(remote);
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('createBatch checks can fail (canaries)', () => {
  const guarantee = (r: { guarantees: readonly { name: string; held: boolean }[] }, name: string): boolean =>
    r.guarantees.find((g) => g.name === name)!.held;
  /** Replace `name` on the server by a fresh key (delete + create: another public key). */
  const overwrite = async (world: Awaited<ReturnType<typeof buildBaoWorld>>, name: string): Promise<void> => {
    const before = world.oracleKeys().find((k) => k.name === name)!.publicKey;
    await world.client.deleteKey(name);
    const info = await world.client.createKey(name);
    expect(info.publicKey).not.toEqual(before);
  };
  const cases: {
    what: string;
    interpose: (world: Awaited<ReturnType<typeof buildBaoWorld>>) => {
      afterFirstRun?: () => Promise<void>;
      afterRerun?: () => Promise<void>;
    };
    violated: string[];
  }[] = [
    {
      what: 'a stray key on the server after the batch',
      interpose: (w) => ({ afterFirstRun: async () => void (await w.client.createKey('stray')) }),
      violated: ['successful-keys-exist-once', 'rerun-no-duplicate-or-overwrite'],
    },
    {
      what: 'a reported key replaced on the server after the batch',
      interpose: (w) => ({ afterFirstRun: () => overwrite(w, 'p-2') }),
      // The rerun itself changes nothing, and refresh() adopts the server's key: that check holds.
      violated: ['successful-keys-exist-once'],
    },
    {
      what: 'a key overwritten by the rerun',
      interpose: (w) => ({ afterRerun: () => overwrite(w, 'p-1') }),
      violated: ['rerun-no-duplicate-or-overwrite'],
    },
    {
      what: 'an extra key created by the rerun',
      interpose: (w) => ({ afterRerun: async () => void (await w.client.createKey('p-1-again')) }),
      violated: ['rerun-no-duplicate-or-overwrite'],
    },
  ];
  test.each(cases)('$what is flagged', async ({ interpose, violated }) => {
    const world = await buildBaoWorld({ seed: 6, mode: 'sim' });
    try {
      const r = await runCreateBatchCheck(world, {
        prefix: 'p',
        count: 3,
        faulted: new Set(),
        windowMs: 0,
        interpose: interpose(world),
      });
      for (const name of r.guarantees.map((g) => g.name))
        expect(guarantee(r, name), name).toBe(!violated.includes(name));
    } finally {
      await world.close();
    }
  });
});

describe('auth: without a valid token nothing is created, signed or revealed', () => {
  const tokenArb = fc
    .stringMatching(/^[A-Za-z0-9._~+/=-]{1,24}$/)
    .filter((t) => t !== 'root' && t !== 's.valid-2');
  test('any bad token, every operation', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.uniqueArray(tokenArb, { minLength: 1, maxLength: 2 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }),
        async (badTokens, exportable) => {
          const world = await buildBaoWorld({
            seed: 7,
            mode: 'sim',
            tokens: ['root', 's.valid-2'],
            captureBodies: true,
          });
          try {
            const existing = exportable.map((_, i) => `acct-${i + 1}`);
            const secrets: Uint8Array[] = [];
            for (const [i, name] of existing.entries()) {
              await world.keyring.create(name, { exportable: exportable[i]! });
              if (exportable[i]) secrets.push(await world.keyring.export(name));
            }
            const r = await runAuthCheck(world, { badTokens, existing, secrets, rng: world.rng });
            heldAll(r.guarantees);
          } finally {
            await world.close();
          }
        },
      ),
      { numRuns: 8 },
    );
  });

  test('the check can fail: a token the server accepts is caught creating and signing', async () => {
    const world = await buildBaoWorld({
      seed: 8,
      mode: 'sim',
      tokens: ['root', 's.valid-2'],
      captureBodies: true,
    });
    try {
      await world.keyring.create('acct-1', { exportable: true });
      const secret = await world.keyring.export('acct-1');
      const r = await runAuthCheck(world, {
        badTokens: ['s.valid-2'],
        existing: ['acct-1'],
        secrets: [secret],
        rng: world.rng,
      });
      const held = Object.fromEntries(r.guarantees.map((g) => [g.name, g.held]));
      expect(held).toMatchObject({
        'every-attempt-refused': false,
        'nothing-created-or-changed': false,
        'nothing-signed': false,
        'nothing-revealed': false,
      });
    } finally {
      await world.close();
    }
  });
});

describe('signatures', () => {
  const forgeArb = fc.option(fc.constantFrom<ForgeKind>(...FORGE_KINDS), { nil: undefined, freq: 2 });
  test('every signature verifies; none for another key or message; forgeries are never handed out', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(forgeArb, { minLength: 1, maxLength: 4 }),
        fc.array(fc.record({ key: fc.nat(), msg: fc.uint8Array({ maxLength: 64 }) }), {
          minLength: 1,
          maxLength: 8,
        }),
        async (forges, reqs) => {
          const keys = forges.map((_, i) => `s-${i + 1}`);
          const forged = new Map(
            keys.flatMap((k, i) => (forges[i] === undefined ? [] : [[k, forges[i]!] as const])),
          );
          const world = await buildBaoWorld({
            seed: 9,
            mode: 'sim',
            hooks: [...forged].map(([key, how]) => ({
              match: { route: 'sign' as const, key },
              action: { type: 'forgeSignature' as const, how },
            })),
          });
          try {
            await world.keyring.createBatch({ prefix: 's', count: keys.length });
            const requests = reqs.map((r) => ({ uid: keys[r.key % keys.length]!, msg: r.msg }));
            const r = await runSignatureCheck(world, requests, { forged, honestMustSucceed: true });
            heldAll(r.guarantees);
            expect(r.results.filter((x) => x.signature !== undefined)).toHaveLength(
              requests.filter((q) => !forged.has(q.uid)).length,
            );
          } finally {
            await world.close();
          }
        },
      ),
      { numRuns: 15 },
    );
  });

  test('the oracle rejects a signature for another key or another message', async () => {
    const world = await buildBaoWorld({ seed: 10, mode: 'sim' });
    try {
      await world.keyring.createBatch({ prefix: 's', count: 2 });
      const msg = new TextEncoder().encode('tx');
      const { signature } = await world.keyring.sign('s-1', msg);
      const pubs = oraclePubs(world);
      expect(world.verify(pubs.get('s-1')!, msg, signature)).toBe(true);
      expect(world.verify(pubs.get('s-2')!, msg, signature)).toBe(false);
      expect(world.verify(pubs.get('s-1')!, new TextEncoder().encode('tx2'), signature)).toBe(false);
      expect(world.verify(pubs.get('s-1')!, msg, undefined)).toBe(false);
    } finally {
      await world.close();
    }
  });
});
