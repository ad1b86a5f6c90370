/**
 * Clock skew from the fault plan (clockSkew / clockStrobe on the Bao target): `created_at` and
 * health `server_time_utc` read the target's skewed clock (`net.clockFor(target)`), while fault
 * latency stays on the network's clock.
 */
import { VirtualClock } from '@fanout/core';
import { SimNetwork, createRng, parseFaultPlan, type FaultPlanInput } from '@fanout/sim';
import { describe, expect, it } from 'vitest';
import { bindBaoSimulator } from '../src/index.js';

const headers = { 'X-Vault-Token': 'root', 'Content-Type': 'application/json' };
const DAY = 86_400_000;

function world(plan: FaultPlanInput) {
  const clock = new VirtualClock();
  const net = new SimNetwork({ clock, rng: createRng(5), plan: parseFaultPlan(plan) });
  const bao = bindBaoSimulator(net, { seed: 6 });
  const createdAt = async (name: string): Promise<string> => {
    const res = await bao.fetch(`${bao.origin}/v1/secp256k1/keys/${name}`, {
      method: 'POST',
      headers,
      body: '{}',
    });
    return ((await res.json()) as { data: { created_at: string } }).data.created_at;
  };
  const serverTime = async (): Promise<number> => {
    const res = await bao.fetch(`${bao.origin}/v1/sys/health`);
    return ((await res.json()) as { server_time_utc: number }).server_time_utc;
  };
  return { clock, net, createdAt, serverTime };
}

describe('Bao under clock faults (SimNetwork)', () => {
  it('clockSkew moves created_at and server_time_utc by offsetMs inside its window only', async () => {
    const w = world({
      rules: [{ fault: 'clockSkew', targets: ['bao'], window: { fromMs: 1000 }, offsetMs: DAY }],
    });
    expect(await w.createdAt('before')).toBe('2025-01-01T00:00:00Z');
    await w.clock.advance(1000);
    expect(await w.createdAt('after')).toBe('2025-01-02T00:00:01Z');
    expect(await w.serverTime()).toBe(1_735_689_600 + 86_400 + 1);
  });
  it('clockStrobe makes consecutive keys go back in time', async () => {
    const w = world({
      rules: [{ fault: 'clockStrobe', targets: ['bao'], deltaMs: 3_600_000, periodMs: 1000 }],
    });
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      seen.push(await w.createdAt(`k${i}`));
      await w.clock.advance(1000);
    }
    expect(seen).toEqual(['2025-01-01T01:00:00Z', '2025-01-01T00:00:01Z', '2025-01-01T01:00:02Z']);
  });
  it('a rule naming another target leaves Bao on the true time', async () => {
    const w = world({ rules: [{ fault: 'clockSkew', targets: ['other'], offsetMs: DAY }] });
    expect(await w.createdAt('k')).toBe('2025-01-01T00:00:00Z');
  });
});
