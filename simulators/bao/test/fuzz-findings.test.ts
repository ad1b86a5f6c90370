/**
 * Regressions for what the fuzzer (fuzz/, docs/fuzzing.md) found: bad input to sys/mounts is a
 * 400 (never a 500), and inherited object keys (`constructor`, `toString`, `__proto__`) are not
 * declared fields — they are ignored with OpenBao's warning like any unknown parameter.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '@fanout/core';
import { createBaoApp } from '../src/index.js';
import { call } from './helpers.js';

const sim = () => createBaoApp({ clock: new VirtualClock(), seed: 4 });

describe('bad input found by the fuzzer', () => {
  it.each([[{ type: [] }], [{ description: ['x'] }], [{ type: { a: 1 } }]])(
    'POST sys/mounts with %j is a 400 with the field named, and the server keeps serving',
    async (body) => {
      const s = sim();
      const r = await call(s, 'POST', '/v1/sys/mounts/m-k-2', body);
      expect(r.status).toBe(400);
      expect(r.json.errors[0]).toMatch(
        /^Field validation failed: error converting input for field "(type|description)"/,
      );
      expect((await call(s, 'GET', '/v1/sys/health')).status).toBe(200);
    },
  );

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])(
    'an inherited key "%s" is an ignored parameter, not a field',
    async (key) => {
      const s = sim();
      const r = await call(s, 'POST', '/v1/secp256k1/keys/k1', JSON.parse(`{"${key}":{}}`));
      expect(r.status).toBe(200);
      expect(r.json.warnings).toEqual([`Endpoint ignored these unrecognized parameters: [${key}]`]);
      const m = await call(s, 'POST', '/v1/sys/mounts/m2', JSON.parse(`{"type":"secp256k1","${key}":{}}`));
      expect(m.status).toBeLessThan(500);
    },
  );
});
