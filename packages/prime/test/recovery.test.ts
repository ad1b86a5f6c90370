/**
 * Crash and restart: a coordinator closed mid-round (a crash: it writes nothing more) and reopened
 * on the same log recovers nodes, model, scores and the round; resuming it counts every update
 * received before the crash exactly once, asks only the nodes that had not answered, and rejects
 * duplicated or replayed updates.
 */
import fc from 'fast-check';
import { assertProperty } from '@fanout/testkit';
import { describe, expect, it } from 'vitest';
import {
  MemoryRoundLog,
  PrimeInputError,
  aggregateOf,
  parseLogEntries,
  type Coordinator,
  type RoundReport,
} from '../src/index.js';
import { testWorld, type HonestUpdate } from './helpers.js';

describe('crash + restart from the round log', () => {
  it('resumes an interrupted round: updates before the crash count once, only the others are asked', async () => {
    const log = new MemoryRoundLog();
    const w = await testWorld(6, { log, behaviour: (id) => ({ delayMs: 100 * (Number(id.slice(1)) + 1) }) });
    await w.coordinator.runRound(); // round 1, committed
    const running = w.coordinator.runRound(); // round 2
    await w.clock.sleep(350); // t0, t1, t2 have answered
    w.coordinator.close(); // crash
    const lengthAtCrash = log.length;
    const dead = await running;
    expect(dead).toMatchObject({ status: 'failed', reason: 'aborted' });
    await w.clock.sleep(1_000); // the old instance's late answers would have arrived by now
    expect(log.length).toBe(lengthAtCrash); // a closed coordinator writes nothing

    const c = await w.reopen();
    expect(c.modelVersion).toBe(1);
    expect(c.listNodes()).toHaveLength(6);
    expect(c.interruptedRounds()).toEqual([2]);
    expect(c.getRoundProgress(2)).toMatchObject({ status: 'interrupted', completed: 3, total: 6 });
    expect(c.getStatus()).toMatchObject({ completedRounds: 1, currentRound: 2 });
    const callsBefore = w.transport.calls.length;
    const r = await c.resumeRound(2);
    expect(w.transport.calls.slice(callsBefore)).toEqual(['t3/2', 't4/2', 't5/2']);
    expect(r).toMatchObject({ round: 2, status: 'committed', resumed: true, modelVersionAfter: 2 });
    expect(r.acceptedUpdateIds).toHaveLength(6);
    expect(new Set(r.acceptedUpdateIds).size).toBe(6);
    expect(Array.from(r.aggregate!)).toEqual(Array.from(aggregateOf(r.acceptedUpdates, r.rule!)));
    // The next round number continues after the interrupted one.
    expect((await c.runRound()).round).toBe(3);
    await expect(c.resumeRound(2)).rejects.toBeInstanceOf(PrimeInputError);
  });

  it('a restarted coordinator rejects an update sent before the crash as duplicate, and its delta as replay', async () => {
    const sent = new Map<string, HonestUpdate>();
    let mode: 'honest' | 'duplicate' | 'replay' = 'honest';
    const w = await testWorld(5, {
      behaviour: (id) => ({
        answer: (h) => {
          if (!sent.has(id)) sent.set(id, h);
          if (id !== 't0' || mode === 'honest') return h;
          return mode === 'duplicate' ? sent.get(id) : { ...h, delta: sent.get(id)!.delta };
        },
      }),
    });
    await w.coordinator.runRound();
    w.coordinator.close();
    let c: Coordinator = await w.reopen();
    mode = 'duplicate';
    expect((await c.runRound()).outcomes.get('t0')).toMatchObject({
      status: 'rejected',
      reason: 'duplicate',
    });
    c.close();
    c = await w.reopen();
    mode = 'replay';
    expect((await c.runRound()).outcomes.get('t0')).toMatchObject({ status: 'rejected', reason: 'replay' });
  });

  it('recovers scores, stakes and the ledger', async () => {
    const w = await testWorld(4, {
      behaviour: (id) => (id === 't3' ? { answer: (h) => ({ ...h, delta: h.delta.map((v) => -v) }) } : {}),
    });
    await w.coordinator.runRound();
    const nodes = w.coordinator.listNodes().map(({ lastHeartbeat: _l, active: _a, ...n }) => n);
    const ledger = w.coordinator.ledger.entries;
    w.coordinator.close();
    const c = await w.reopen();
    expect(c.listNodes().map(({ lastHeartbeat: _l, active: _a, ...n }) => n)).toEqual(nodes);
    expect(c.ledger.entries).toEqual(ledger);
    expect(Array.from(c.params)).toEqual(Array.from(w.coordinator.params));
  });

  it('a log that does not parse is refused with the entry path', async () => {
    const bad = { append: () => undefined, read: () => [{ type: 'update', at: 0, round: 1 }] };
    await expect(testWorld(2, { log: bad })).rejects.toMatchObject({
      name: 'PrimeInputError',
      field: 'log.0.update',
    });
    expect(() => parseLogEntries([{ type: 'nope' }])).toThrow(PrimeInputError);
  });

  it('property: whenever the coordinator crashes, every update is counted in at most one commit, and exactly once if received', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 900 }), { minLength: 5, maxLength: 5 }),
        fc.integer({ min: 0, max: 2_500 }),
        fc.integer({ min: 1, max: 5 }),
        async (delays, crashAt, closeAfter) => {
          const log = new MemoryRoundLog();
          const w = await testWorld(5, {
            log,
            config: { minNodesForRound: 1 },
            behaviour: (id) => ({ delayMs: delays[Number(id.slice(1))]! }),
          });
          const reports: RoundReport[] = [];
          const runAll = (async () => {
            for (let i = 0; i < 3; i++) reports.push(await w.coordinator.runRound({ closeAfter }));
          })();
          await w.clock.sleep(crashAt);
          w.coordinator.close();
          await runAll.catch(() => undefined);
          const c = await w.reopen();
          for (const r of c.interruptedRounds()) reports.push(await c.resumeRound(r, { closeAfter }));
          reports.push(await c.runRound({ closeAfter }));
          const committed = reports.filter((r) => r.status === 'committed');
          const used = committed.flatMap((r) => [...r.acceptedUpdateIds]);
          expect(new Set(used).size).toBe(used.length); // nothing counted twice
          // Every update the log says was received belongs to a decided round and, if committed, is in its commit.
          const entries = parseLogEntries(log.read());
          const commits = entries.filter((e) => e.type === 'round-committed');
          const receivedByRound = new Map<number, string[]>();
          for (const e of entries)
            if (e.type === 'update')
              receivedByRound.set(e.round, [...(receivedByRound.get(e.round) ?? []), e.update.updateId]);
          for (const cm of commits)
            expect([...cm.acceptedUpdateIds].sort()).toEqual(
              [...(receivedByRound.get(cm.round) ?? [])].sort(),
            );
          expect(c.modelVersion).toBe(commits.length);
          expect(c.interruptedRounds()).toEqual([]);
        },
      ),
      { numRuns: 40 },
    );
  });
});
