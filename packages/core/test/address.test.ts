/** sameAddress is addressKey equality without building the texts (hosts with ':' included: IPv6). */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { assertProperty } from '@fanout/testkit';
import { addressKey, sameAddress } from '../src/transport.js';

test('sameAddress(a, b) holds exactly when addressKey(a) === addressKey(b)', async () => {
  // A small alphabet with ':' and digits makes near-collisions of the texts common.
  const host = fc.string({ unit: fc.constantFrom(':', '1', '8', 'a', '.'), maxLength: 6 });
  const port = fc.oneof(fc.constantFrom(0, 1, 8, 18, 80, 180), fc.integer({ min: 0, max: 65535 }));
  const address = fc.record({ host, port });
  await assertProperty(
    fc.asyncProperty(address, address, async (a, b) => {
      expect(sameAddress(a, b)).toBe(addressKey(a) === addressKey(b));
      expect(sameAddress(a, { ...a })).toBe(true);
    }),
  );
});
