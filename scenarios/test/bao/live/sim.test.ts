/**
 * The stand-alone Bao simulator in-process (`baoSim.start`, what `fanout sim bao` calls): the plan
 * given at start applies at once, both its network rules (socket edge) and its Bao behaviours
 * (the simulator's hooks) go through the ONE injector it returns, so swapping that injector's plan
 * changes both; a given token is never echoed; key material is a CSPRNG's unless a seed is given;
 * a malformed behaviour is refused before anything listens.
 */
import { describe, expect, test } from 'vitest';
import { realClock } from '@fanout/core';
import {
  BaoAuthError,
  BaoClient,
  BaoKeyring,
  BaoSealedError,
  BaoUnavailableError,
} from '@fanout/bao-keyring';
import { parseFaultPlan } from '@fanout/sim';
import { baoSim } from '../../../src/bao/live/sim.js';
import { BAO, BaoBehaviourError, baoBehave } from '../../../src/bao/plan.js';

const io = { log: () => {}, onEvent: () => {}, signal: new AbortController().signal, wallNow: () => 0 };

describe('baoSim (fanout sim bao) in-process', () => {
  test('one injector for the socket edge and the hooks; swapping its plan changes both; requests are counted', async () => {
    const plan = parseFaultPlan({ rules: [baoBehave.keyError('locked', 'sealed')] });
    const sim = await baoSim.start({ port: 0, token: 's.given' }, plan, io);
    const client = new BaoClient({
      address: sim.endpoints['bao']!,
      token: 's.given',
      clock: realClock,
      timeoutMs: 10_000,
    });
    const keyring = new BaoKeyring({ client });
    try {
      expect(sim.info).toEqual({ token: '(given)', keys: 'cryptographic RNG' });
      await keyring.create('a');
      await expect(keyring.create('locked')).rejects.toBeInstanceOf(BaoSealedError);
      // A network rule through the same injector: every request is answered 502 at the edge.
      sim.injector.setPlan(
        parseFaultPlan({
          rules: [
            { fault: 'forceStatus', targets: [BAO], status: 502, message: '{"errors":["bad gateway"]}' },
          ],
        }),
      );
      await expect(keyring.create('b')).rejects.toBeInstanceOf(BaoUnavailableError);
      sim.injector.setPlan(parseFaultPlan({}));
      await keyring.create('locked');
      const wrong = new BaoClient({ address: sim.endpoints['bao']!, token: 'nope', clock: realClock });
      await expect(wrong.listKeys()).rejects.toBeInstanceOf(BaoAuthError);
      await wrong.close();
      // a, locked (sealed), b (502 at the edge: never reached the app), locked, list.
      expect(sim.requests()).toBe(4);
    } finally {
      await client.close();
      await sim.close();
    }
  });

  test('a malformed behaviour in the start plan is refused before anything listens', async () => {
    const bad = parseFaultPlan({
      rules: [{ fault: 'behave', targets: [BAO], behaviour: 'forge', params: { key: 'a' } }],
    });
    await expect(baoSim.start({ port: 0 }, bad, io)).rejects.toThrow(BaoBehaviourError);
    await expect(baoSim.start({ port: 0 }, bad, io)).rejects.toThrow(/^forge\.params\.how/);
  });
});
