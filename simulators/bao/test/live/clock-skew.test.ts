/** The live Bao server under a plan's clockSkew: created_at is the real date moved by offsetMs. */
import { parseFaultPlan } from '@fanout/sim';
import { afterEach, describe, expect, it } from 'vitest';
import { startBaoServer, type BaoServerHandle } from '../../src/live/index.js';

const handles: BaoServerHandle[] = [];
afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.close()));
});

describe('live Bao under clockSkew', () => {
  it('created_at reads the skewed clock of the bao target', async () => {
    const day = 86_400_000;
    const h = await startBaoServer({
      seed: 3,
      plan: parseFaultPlan({ rules: [{ fault: 'clockSkew', targets: ['bao'], offsetMs: 10 * day }] }),
    });
    handles.push(h);
    const res = await fetch(`${h.url}/v1/secp256k1/keys/k`, {
      method: 'POST',
      headers: { 'X-Vault-Token': 'root', 'Content-Type': 'application/json' },
      body: '{}',
    });
    const created = Date.parse(((await res.json()) as { data: { created_at: string } }).data.created_at);
    const skew = created - Date.now();
    expect(skew).toBeGreaterThan(9 * day);
    expect(skew).toBeLessThan(11 * day);
  });
});
