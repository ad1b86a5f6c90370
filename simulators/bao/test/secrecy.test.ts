import { VirtualClock, type RandomBytes } from '@fanout/core';
import { bytesToHex } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBaoApp, seededKeyRandom } from '../src/index.js';
import { b64, call } from './helpers.js';

/** An rng wrapper that remembers every 48-byte seed so the test can recompute the private keys. */
function spyRng(inner: RandomBytes): { rng: RandomBytes; drawn: Uint8Array[] } {
  const drawn: Uint8Array[] = [];
  return {
    drawn,
    rng: (n) => {
      const b = inner(n);
      drawn.push(b);
      return b;
    },
  };
}

const names = fc.constantFrom('a', 'b', 'c');
const op = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), name: names, exportable: fc.boolean() }),
  fc.record({ kind: fc.constant('read' as const), name: names }),
  fc.record({ kind: fc.constant('list' as const), viaGet: fc.boolean() }),
  fc.record({
    kind: fc.constant('sign' as const),
    name: names,
    prehashed: fc.boolean(),
    format: fc.constantFrom('cosmos', 'der', 'bogus'),
    input: fc.uint8Array({ minLength: 0, maxLength: 40 }),
  }),
  fc.record({ kind: fc.constant('export' as const), name: names }),
  fc.record({ kind: fc.constant('delete' as const), name: names }),
  fc.record({ kind: fc.constant('health' as const) }),
);

describe('secrecy', () => {
  it('never puts a non-exportable private key in any response of any route', async () => {
    const { secp256k1 } = await import('@noble/curves/secp256k1.js');
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), fc.integer(), async (ops, seed) => {
        const spy = spyRng(seededKeyRandom(seed >>> 0));
        const sim = createBaoApp({ clock: new VirtualClock(), rng: spy.rng });
        const responses: string[] = [];
        const nonExportableSeeds = new Set<number>();
        for (const o of ops) {
          let r;
          switch (o.kind) {
            case 'create': {
              const before = spy.drawn.length;
              r = await call(sim, 'POST', `/v1/secp256k1/keys/${o.name}`, { exportable: o.exportable });
              if (r.status === 200 && !o.exportable) nonExportableSeeds.add(before);
              break;
            }
            case 'read':
              r = await call(sim, 'GET', `/v1/secp256k1/keys/${o.name}`);
              break;
            case 'list':
              r = o.viaGet
                ? await call(sim, 'GET', '/v1/secp256k1/keys?list=true')
                : await call(sim, 'LIST', '/v1/secp256k1/keys');
              break;
            case 'sign':
              r = await call(sim, 'POST', `/v1/secp256k1/sign/${o.name}`, {
                input: b64(o.input),
                prehashed: o.prehashed,
                output_format: o.format,
              });
              break;
            case 'export':
              r = await call(sim, 'GET', `/v1/secp256k1/export/${o.name}`);
              break;
            case 'delete':
              r = await call(sim, 'DELETE', `/v1/secp256k1/keys/${o.name}`);
              break;
            case 'health':
              r = await call(sim, 'GET', '/v1/sys/health', undefined, {});
              break;
          }
          responses.push(r.text + JSON.stringify([...r.headers.entries()]));
        }
        const all = responses.join('\n');
        for (const i of nonExportableSeeds) {
          const sk = secp256k1.utils.randomSecretKey(spy.drawn[i]!);
          for (const form of [
            bytesToHex(sk),
            bytesToHex(sk).toUpperCase(),
            b64(sk),
            Buffer.from(sk).toString('base64url'),
          ]) {
            expect(all.includes(form)).toBe(false);
          }
        }
      }),
      { numRuns: 50 },
    );
  });

  it('does hand out an exportable key through export (the check above can see a leak)', async () => {
    const { secp256k1 } = await import('@noble/curves/secp256k1.js');
    const spy = spyRng(seededKeyRandom(99));
    const sim = createBaoApp({ clock: new VirtualClock(), rng: spy.rng });
    await call(sim, 'POST', '/v1/secp256k1/keys/ex', { exportable: true });
    const sk = secp256k1.utils.randomSecretKey(spy.drawn[0]!);
    expect((await call(sim, 'GET', '/v1/secp256k1/export/ex')).text.includes(b64(sk))).toBe(true);
  });
});

describe('robustness', () => {
  it('answers garbage bodies, methods and paths with an HTTP status and keeps serving', async () => {
    const sim = createBaoApp({ clock: new VirtualClock(), seed: 9 });
    await call(sim, 'POST', '/v1/secp256k1/keys/k', {});
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'LIST', 'PATCH'),
        fc.constantFrom(
          '/v1/secp256k1/keys/k',
          '/v1/secp256k1/sign/k',
          '/v1/secp256k1/keys/k/import',
          '/v1/secp256k1/export/k',
          '/v1/secp256k1/keys',
          '/v1/x',
        ),
        fc.oneof(fc.string(), fc.json(), fc.constant('{"input":123,"prehashed":"x"}')),
        async (method, path, body) => {
          const r = await call(sim, method, path, method === 'GET' || method === 'LIST' ? undefined : body);
          expect(r.status).toBeGreaterThanOrEqual(200);
          expect(r.status).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
    expect((await call(sim, 'GET', '/v1/sys/health', undefined, {})).status).toBe(200);
    expect((await call(sim, 'POST', '/v1/secp256k1/keys/after-garbage', {})).status).toBe(200);
    expect(sim.keyNames()).toContain('after-garbage');
  });
});
