/**
 * Live tier with a sim-kit fault plan at the socket edge: the same plan vocabulary as in
 * simulation, over real HTTP on 127.0.0.1 (wall time; no timing assertions).
 */
import { parseFaultPlan } from '@fanout/sim';
import { afterEach, describe, expect, it } from 'vitest';
import { baoPlanRules, ruleFaults } from '../../src/index.js';
import { startBaoServer, type BaoServerHandle } from '../../src/live/index.js';

const handles: BaoServerHandle[] = [];
afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.close()));
});
const headers = { 'X-Vault-Token': 'root', 'Content-Type': 'application/json' };

describe('startBaoServer with a fault plan', () => {
  it('applies forceStatus (sealed), dropReply (key created, socket reset) and black holes', async () => {
    const h = await startBaoServer({
      seed: 7,
      plan: parseFaultPlan({ rules: [baoPlanRules.sealed({ fromMs: 0, toMs: 60_000 })] }),
    });
    handles.push(h);
    const sealed = await fetch(`${h.url}/v1/secp256k1/keys/k`, { method: 'POST', headers, body: '{}' });
    expect(sealed.status).toBe(503);
    expect(await sealed.json()).toEqual({ errors: ['Vault is sealed'] });
    expect(h.sim.counters().total).toBe(0);

    const lossy = await startBaoServer({
      seed: 7,
      plan: parseFaultPlan({ rules: [baoPlanRules.connectionReset(1)] }),
    });
    handles.push(lossy);
    await expect(
      fetch(`${lossy.url}/v1/secp256k1/keys/ghost`, { method: 'POST', headers, body: '{}' }),
    ).rejects.toThrow(TypeError);
    expect(lossy.sim.keyNames()).toEqual(['ghost']);

    const hole = await startBaoServer({ plan: parseFaultPlan({ rules: [baoPlanRules.neverRespond(1)] }) });
    handles.push(hole);
    const ctl = new AbortController();
    const pending = fetch(`${hole.url}/v1/sys/health`, { signal: ctl.signal });
    while (hole.stats.sent === 0) await new Promise((r) => setTimeout(r, 5));
    ctl.abort(new Error('gave up'));
    await expect(pending).rejects.toThrow('gave up');
    expect(hole.stats.dropped).toBe(1);
  });

  it('resets the socket for a hook dropReply even with no plan', async () => {
    const h = await startBaoServer({ seed: 7 });
    handles.push(h);
    h.sim.setFaults(ruleFaults([{ match: { key: 'x' }, times: 1, action: { type: 'dropReply' } }]));
    await expect(
      fetch(`${h.url}/v1/secp256k1/keys/x`, { method: 'POST', headers, body: '{}' }),
    ).rejects.toThrow(TypeError);
    expect(h.sim.keyNames()).toEqual(['x']);
    const again = await fetch(`${h.url}/v1/secp256k1/keys/x`, { method: 'POST', headers, body: '{}' });
    expect(again.status).toBe(400);
  });
});
