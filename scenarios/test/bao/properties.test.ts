/**
 * Bao keyring guarantees as fast-check properties on the scenario kernel, in sim mode (virtual
 * time, deterministic). Faults are plan rules (Bao behaviours on target `bao`); each property
 * checks the client against expectations written from its own parameters AND checks that the
 * plan-read oracle agrees with them. Failures print the seed, the shrunk counterexample and a
 * replay command (assertProperty).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assertProperty } from '@fanout/testkit';
import { VirtualClock } from '@fanout/core';
import { BaoClient, BaoKeyring, type SignRequest } from '@fanout/bao-keyring';
import { FORGE_KINDS, createBaoApp, hashInput, verifyCosmosSignature, type ForgeKind } from '@fanout/sim-bao';
import { parseFaultPlan } from '@fanout/sim';
import { PlanView, runScenario } from '../../src/kernel/index.js';
import { runAuthCheck } from '../../src/bao/checks/auth.js';
import { runCreateBatchCheck } from '../../src/bao/checks/create-batch.js';
import { runSignatureCheck } from '../../src/bao/checks/signatures.js';
import { everySignatureVerifies, fastKeysNotDelayed, keyedToRequests } from '../../src/bao/checks/signing.js';
import { expectRequest } from '../../src/bao/oracle.js';
import { KEY_ERROR_KINDS, baoBehave, type KeyErrorKind } from '../../src/bao/plan.js';
import { baoScenarios } from '../../src/bao/scenarios.js';
import { baoWorld, heldAll } from './helpers.js';

const scenario = (name: string) => baoScenarios.find((s) => s.name === name)!;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('no head-of-line blocking (virtual time)', () => {
  test('one slow key never delays the others; every result is keyed to its request; the plan-read oracle agrees', async () => {
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
          const { world, parties } = await baoWorld(3, {
            rules: [
              baoBehave.slowKey(slowName, slowMs),
              baoBehave.slowKey(
                names.filter((n) => n !== slowName),
                fastMs,
              ),
            ],
          });
          try {
            await parties.keyring.createBatch({ prefix: 'w', count: workers });
            const it = order[Symbol.iterator]();
            const requests: SignRequest[] = names
              .flatMap((uid, i) =>
                Array.from({ length: perWorker[i]! }, (_, k) => ({ uid, msg: enc(`${uid}/${k}`) })),
              )
              .map((r) => ({ r, key: it.next().value as number }))
              .sort((a, b) => a.key - b.key)
              .map(({ r }) => r);
            const p0 = world.elapsed();
            const t0 = world.clock.now();
            const results = await parties.keyring.signBatch(requests);
            // Expectations from the parameters themselves.
            expect(world.clock.now() - t0).toBe(slowMs);
            for (const r of results) expect(r.settledAt - t0).toBe(r.uid === slowName ? slowMs : fastMs);
            // The plan-read oracle says the same.
            const at = { fromMs: p0, toMs: world.elapsed() + 1 };
            const exp = requests.map((q) =>
              expectRequest(world.view, { route: 'sign', key: q.uid, at, timeoutMs: parties.timeoutMs }),
            );
            requests.forEach((q, i) => {
              const ms = q.uid === slowName ? slowMs : fastMs;
              expect(exp[i]).toMatchObject({ settleMs: [ms, ms], fails: 'never' });
            });
            const pubs = parties.oraclePubs();
            heldAll([
              fastKeysNotDelayed(results, { t0, bounds: (i) => exp[i]!.settleMs, mode: 'sim' }),
              keyedToRequests(parties.verify, pubs, requests, results),
              everySignatureVerifies(parties.verify, pubs, requests, results, (i) => exp[i]!),
            ]);
          } finally {
            await world.close();
          }
        },
      ),
      { numRuns: 36 },
    );
  });

  test('the checks can fail: serial signing delays fast keys; permuted results are caught', async () => {
    const { world, parties } = await baoWorld(4, {
      rules: [baoBehave.slowKey('w-1', 500), baoBehave.slowKey(['w-2', 'w-3'], 50)],
    });
    try {
      await parties.keyring.createBatch({ prefix: 'w', count: 3 });
      const requests = ['w-1', 'w-2', 'w-3'].map((uid) => ({ uid, msg: enc(uid) }));
      const t0 = world.clock.now();
      const serial = await parties.keyring.signBatch(requests, { concurrency: 1 });
      // One at a time, the fast keys queue behind the slow one: done at 550 and 600, not 50.
      expect(serial.map((r) => r.settledAt - t0)).toEqual([500, 550, 600]);
      const bounds = (i: number): readonly [number, number] => (i === 0 ? [500, 500] : [50, 50]);
      const verdict = fastKeysNotDelayed(serial, { t0, bounds, mode: 'sim' });
      expect(verdict.held).toBe(false);
      expect(verdict.detail).toContain('w-2 done at 550.0 ms, plan allows = 50 ms');
      // Live, the structural check catches it too: w-2 (≤ 50 ms) settled after w-1 (≥ 500 ms).
      expect(fastKeysNotDelayed(serial, { t0, bounds, mode: 'live' }).held).toBe(false);
      const pubs = parties.oraclePubs();
      const swapped = [serial[1]!, serial[0]!, serial[2]!];
      expect(keyedToRequests(parties.verify, pubs, requests, swapped).held).toBe(false);
      const wrongSig = [{ ...serial[0]!, signature: serial[1]!.signature }, serial[1]!, serial[2]!];
      expect(keyedToRequests(parties.verify, pubs, requests, wrongSig).held).toBe(false);
      const clean = () => ({ settleMs: [0, 0] as const, fails: 'never' as const, why: 'clean' });
      expect(everySignatureVerifies(parties.verify, pubs, requests, wrongSig, clean).held).toBe(false);
      expect(everySignatureVerifies(parties.verify, pubs, requests, serial, clean).held).toBe(true);
      // A request the plan lets succeed that failed anyway is caught.
      const failed = [{ ...serial[0]!, signature: undefined, error: new Error('x') }, serial[1]!, serial[2]!];
      expect(everySignatureVerifies(parties.verify, pubs, requests, failed, clean).held).toBe(false);
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
          const verify = (pub: Uint8Array, msg: Uint8Array, sig: Uint8Array | undefined) =>
            sig !== undefined && verifyCosmosSignature(pub, hashInput(msg, 'sha256'), sig);
          const clean = () => ({ settleMs: [0, Infinity] as const, fails: 'never' as const, why: 'clean' });
          heldAll([
            keyedToRequests(verify, pubs, requests, results),
            everySignatureVerifies(verify, pubs, requests, results, clean),
          ]);
        },
      ),
      { numRuns: 50 },
    );
  });
});

const faultArb: fc.Arbitrary<KeyErrorKind | 'none'> = fc.constantFrom<KeyErrorKind | 'none'>(
  'none',
  'none',
  ...KEY_ERROR_KINDS,
);

describe('createBatch under injected failures', () => {
  test('exactly the failed names are reported; successes exist once; a rerun never duplicates or overwrites', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(faultArb, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 40 }),
        async (faults, netMs) => {
          const prefix = 'parallel-worker';
          const window = { fromMs: 0, toMs: 100_000 };
          const names = faults.map((_, i) => `${prefix}-${i + 1}`);
          const { world, parties } = await baoWorld(5, {
            latency: { default: { kind: 'constant', ms: netMs } },
            rules: faults.flatMap((f, i) =>
              f === 'none' ? [] : [baoBehave.keyError(names[i]!, f, { times: 1, window })],
            ),
          });
          try {
            const faulted = names.filter((_, i) => faults[i] !== 'none');
            const r = await runCreateBatchCheck(world, parties, { prefix, count: faults.length });
            heldAll(r.guarantees);
            // The exact oracle from the assignment: failed = faulted; lost replies still created the key.
            expect(r.facts.failed).toBe(faulted.length);
            expect(r.facts.planFaulted).toBe(faulted.length);
            expect(r.facts.ambiguous).toBe(faults.filter((f) => f === 'dropReply').length);
            expect(
              parties
                .oracleKeys()
                .map((k) => k.name)
                .sort(),
            ).toEqual([...names].sort());
            // The rerun came after the window (the plan's quiet point), when there was one.
            if (faulted.length > 0) expect(world.elapsed()).toBeGreaterThanOrEqual(window.toMs);
          } finally {
            await world.close();
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  test('probabilistic plan faults (error rates, lost replies, black holes, 429) on top of per-key behaviours', async () => {
    await assertProperty(
      fc.asyncProperty(fc.integer({ min: 1, max: 0xffff }), async (seed) => {
        const r = await runScenario(scenario('bao.create-batch-faults'), { seed });
        heldAll(r.guarantees);
      }),
      { numRuns: 30 },
    );
  });

  test('the check reads the plan: an oracle told p-2 is faulted while the server is not flags it', async () => {
    const { world, parties } = await baoWorld(6);
    try {
      const claimed = new PlanView(parseFaultPlan({ rules: [baoBehave.keyError('p-2', 'sealed')] }));
      const r = await runCreateBatchCheck(world, parties, { prefix: 'p', count: 3, view: claimed });
      const g = r.guarantees.find((x) => x.name === 'exactly-failed-names-reported')!;
      expect(g.held).toBe(false);
      expect(g.detail).toContain('keys the plan fails reported as created: p-2 (keyError sealed)');
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
          for (const space of ['', 'team-a', 'team-b']) {
            const local = keyring
              .list({ namespace: space })
              .map((r) => [r.uid, Buffer.from(r.publicKey).toString('hex')]);
            const remote = sim.keyInfo(space).map((k) => [k.name, Buffer.from(k.publicKey).toString('hex')]);
            expect(local, `${label}: namespace '${space}'`).toEqual(remote);
          }
        }
      }),
      { numRuns: 120 },
    );
  });
});

describe('createBatch checks can fail (canaries)', () => {
  type Parties = Awaited<ReturnType<typeof baoWorld>>['parties'];
  /** Replace `name` on the server by a fresh key (delete + create: another public key). */
  const overwrite = async (p: Parties, name: string): Promise<void> => {
    const before = p.oracleKeys().find((k) => k.name === name)!.publicKey;
    await p.client.deleteKey(name);
    const info = await p.client.createKey(name);
    expect(info.publicKey).not.toEqual(before);
  };
  const cases: {
    what: string;
    interpose: (p: Parties) => { afterFirstRun?: () => Promise<void>; afterRerun?: () => Promise<void> };
    violated: string[];
  }[] = [
    {
      what: 'a stray key on the server after the batch',
      interpose: (p) => ({ afterFirstRun: async () => void (await p.client.createKey('stray')) }),
      violated: ['successful-keys-exist-once', 'rerun-no-duplicate-or-overwrite'],
    },
    {
      what: 'a reported key replaced on the server after the batch',
      interpose: (p) => ({ afterFirstRun: () => overwrite(p, 'p-2') }),
      // The rerun itself changes nothing, and refresh() adopts the server's key: that check holds.
      violated: ['successful-keys-exist-once'],
    },
    {
      what: 'a key overwritten by the rerun',
      interpose: (p) => ({ afterRerun: () => overwrite(p, 'p-1') }),
      violated: ['rerun-no-duplicate-or-overwrite'],
    },
    {
      what: 'an extra key created by the rerun',
      interpose: (p) => ({ afterRerun: async () => void (await p.client.createKey('p-1-again')) }),
      violated: ['rerun-no-duplicate-or-overwrite'],
    },
  ];
  test.each(cases)('$what is flagged', async ({ interpose, violated }) => {
    const { world, parties } = await baoWorld(6);
    try {
      const r = await runCreateBatchCheck(world, parties, {
        prefix: 'p',
        count: 3,
        interpose: interpose(parties),
      });
      for (const g of r.guarantees) expect(g.held, g.name).toBe(!violated.includes(g.name));
    } finally {
      await world.close();
    }
  });
});

describe('auth: without a valid token nothing is created, signed or revealed', () => {
  const tokenArb = fc
    .stringMatching(/^[A-Za-z0-9._~+/=-]{1,24}$/)
    .filter((t) => t !== 'root' && t !== 's.valid-2');
  const setUp = async (seed: number, exportable: readonly boolean[]) => {
    const w = await baoWorld(
      seed,
      { latency: { default: { kind: 'uniform', minMs: 1, maxMs: 20 } } },
      { tokens: ['root', 's.valid-2'], captureBodies: true },
    );
    const existing = exportable.map((_, i) => `acct-${i + 1}`);
    const secrets: Uint8Array[] = [];
    for (const [i, name] of existing.entries()) {
      await w.parties.keyring.create(name, { exportable: exportable[i]! });
      if (exportable[i]) secrets.push(await w.parties.keyring.export(name));
    }
    return { ...w, existing, secrets };
  };
  test('any bad token, every operation', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.uniqueArray(tokenArb, { minLength: 1, maxLength: 2 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }),
        async (badTokens, exportable) => {
          const { world, parties, existing, secrets } = await setUp(7, exportable);
          try {
            const r = await runAuthCheck(world, parties, {
              badTokens,
              existing,
              secrets,
              rng: world.rng.fork('auth'),
            });
            heldAll(r.guarantees);
            expect(r.attempts).toBe(badTokens.length * 10 + 21);
          } finally {
            await world.close();
          }
        },
      ),
      { numRuns: 16 },
    );
  });

  test('the check can fail: a token the server accepts is caught creating, signing and reading', async () => {
    const { world, parties, existing, secrets } = await setUp(8, [true]);
    try {
      const r = await runAuthCheck(world, parties, {
        badTokens: ['s.valid-2'],
        existing,
        secrets,
        rng: world.rng.fork('auth'),
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
          const forged = keys.filter((_, i) => forges[i] !== undefined);
          const { world, parties } = await baoWorld(9, {
            rules: keys.flatMap((k, i) => (forges[i] === undefined ? [] : [baoBehave.forge(k, forges[i]!)])),
          });
          try {
            await parties.keyring.createBatch({ prefix: 's', count: keys.length });
            const requests = reqs.map((r) => ({ uid: keys[r.key % keys.length]!, msg: r.msg }));
            const r = await runSignatureCheck(world, parties, requests);
            heldAll(r.guarantees);
            expect([...r.forged].sort()).toEqual(
              forged.filter((k) => requests.some((q) => q.uid === k)).sort(),
            );
            expect(r.results.filter((x) => x.signature !== undefined)).toHaveLength(
              requests.filter((q) => !forged.includes(q.uid)).length,
            );
          } finally {
            await world.close();
          }
        },
      ),
      { numRuns: 36 },
    );
  });

  test('the oracle rejects a signature for another key or another message', async () => {
    const { world, parties } = await baoWorld(10);
    try {
      await parties.keyring.createBatch({ prefix: 's', count: 2 });
      const msg = enc('tx');
      const { signature } = await parties.keyring.sign('s-1', msg);
      const pubs = parties.oraclePubs();
      expect(parties.verify(pubs.get('s-1')!, msg, signature)).toBe(true);
      expect(parties.verify(pubs.get('s-2')!, msg, signature)).toBe(false);
      expect(parties.verify(pubs.get('s-1')!, enc('tx2'), signature)).toBe(false);
      expect(parties.verify(pubs.get('s-1')!, msg, undefined)).toBe(false);
    } finally {
      await world.close();
    }
  });
});
