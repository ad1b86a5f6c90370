/** Live tier: real sockets on 127.0.0.1 with the fault plan applied at the server edge. */
import { describe, expect, test } from 'vitest';
import { realClock } from '@fanout/core';
import { openUdpTransport } from '@fanout/core/live';
import { createRng, parseFaultPlan } from '../../src/index.js';
import { startHttpService, startUdpService } from '../../src/live/index.js';

describe('live edges on 127.0.0.1', () => {
  test('UDP service answers over a real socket and applies dropRequest by target', async () => {
    const plan = parseFaultPlan({ rules: [{ fault: 'dropRequest', targets: ['b'] }] });
    const a = await startUdpService({
      target: 'a',
      service: { handle: (r) => Uint8Array.from([0xa, ...r]) },
      plan,
      rng: createRng(1),
    });
    const b = await startUdpService({
      target: 'b',
      service: { handle: (r) => Uint8Array.from([0xb, ...r]) },
      plan,
      rng: createRng(1),
    });
    const client = await openUdpTransport();
    try {
      const got: number[][] = [];
      const done = new Promise<void>((resolve) =>
        client.onMessage((bytes) => (got.push([...bytes]), resolve())),
      );
      client.send(b.address, Uint8Array.of(2));
      client.send(a.address, Uint8Array.of(1));
      await done;
      await new Promise((r) => setTimeout(r, 50));
      expect(got).toEqual([[0xa, 1]]);
      expect(b.stats.dropped).toBe(1);
    } finally {
      await client.close();
      await a.close();
      await b.close();
    }
  });
  test('UDP service: crash with loseState wipes the service state once, at the shared start time', async () => {
    // Crash at 0 ms (plan time), back up after 5 s, state lost. The shared origin is 10 s in the
    // past, so the crash is over when the first datagram arrives and a wiped service answers it
    // (were the origin this service's bind time, it would still be down and never answer).
    // Nothing here depends on how fast the machine is.
    let state = 7;
    let wipes = 0;
    const plan = parseFaultPlan({
      rules: [{ fault: 'crash', targets: ['s'], atMs: 0, restartAfterMs: 5000, loseState: true }],
    });
    const svc = await startUdpService({
      target: 's',
      service: {
        handle: () => Uint8Array.of(state++),
        onCrashLoseState: () => {
          wipes++;
          state = 0;
        },
      },
      plan,
      rng: createRng(1),
      startedAt: realClock.now() - 10_000,
    });
    const client = await openUdpTransport();
    try {
      const got: number[] = [];
      let wake: () => void = () => {};
      client.onMessage((bytes) => {
        got.push(bytes[0]!);
        wake();
      });
      for (let i = 0; i < 2; i++) {
        const next = new Promise<void>((resolve) => (wake = resolve));
        client.send(svc.address, Uint8Array.of(i));
        await next;
      }
      expect(got).toEqual([0, 1]); // wiped before the first request, not again
      expect(wipes).toBe(1);
    } finally {
      await client.close();
      await svc.close();
    }
  });
  test('HTTP service: crash with loseState wipes the state once, at the shared start time', async () => {
    // As the UDP test above: crash at plan time 0, restart after 5 s, state lost; the shared origin
    // is 10 s in the past, so the first request reaches a restarted, wiped server.
    let state = 7;
    let wipes = 0;
    const plan = parseFaultPlan({
      rules: [{ fault: 'crash', targets: ['h'], atMs: 0, restartAfterMs: 5000, loseState: true }],
    });
    const svc = await startHttpService({
      target: 'h',
      handler: () => new Response(String(state++)),
      onCrashLoseState: () => {
        wipes++;
        state = 0;
      },
      plan,
      rng: createRng(1),
      startedAt: realClock.now() - 10_000,
    });
    try {
      const got: string[] = [];
      for (let i = 0; i < 2; i++) got.push(await (await fetch(`${svc.url}/x`)).text());
      expect(got).toEqual(['0', '1']); // wiped before the first request, not again
      expect(wipes).toBe(1);
    } finally {
      await svc.close();
    }
  });
  test('HTTP service over real fetch: plain, and forced 503 from the plan', async () => {
    const handler = (req: Request) => new Response(`ok ${new URL(req.url).pathname}`);
    const plain = await startHttpService({ target: 'h', handler });
    const sealed = await startHttpService({
      target: 'h2',
      handler,
      plan: parseFaultPlan({ rules: [{ fault: 'forceStatus', status: 503, message: 'sealed' }] }),
    });
    try {
      const r1 = await fetch(`${plain.url}/v1/sys/health`);
      expect([r1.status, await r1.text()]).toEqual([200, 'ok /v1/sys/health']);
      const r2 = await fetch(`${sealed.url}/x`);
      expect([r2.status, await r2.text()]).toEqual([503, 'sealed']);
    } finally {
      await plain.close();
      await sealed.close();
    }
  });
});
