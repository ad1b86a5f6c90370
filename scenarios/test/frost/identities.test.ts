import { createIdentity, sortByXid } from '@fanout/frost';
import { createRng, rngBytesFn } from '@fanout/sim';
import { describe, expect, test } from 'vitest';
import {
  identitiesFrom,
  identityFrom,
  SHARED_IDENTITY_SEED,
  sharedIdentities,
} from '../../src/frost/identities.js';
import { participantName } from '../../src/frost/world.js';

const names = (n: number): string[] => Array.from({ length: n }, (_, i) => participantName(i));
/** Slot of each participant in XID order: what decides FROST identifiers and sequential order. */
const slotsInXidOrder = (ids: readonly { xid: string; name?: string }[]): string[] =>
  sortByXid(ids).map((id) => id.name ?? '?');

describe('identities', () => {
  test("'seed' identities are createIdentity's from the world's streams, made once per process", () => {
    const root = createRng(7);
    const ids = identitiesFrom(root, names(3));
    const fresh = createIdentity(rngBytesFn(createRng(7).fork('identity/1')), 'Carol');
    expect(ids.participants[1]).toEqual(fresh);
    expect(identitiesFrom(createRng(7), names(3)).participants[1]).toBe(ids.participants[1]);
    expect(identityFrom(rngBytesFn(createRng(7).fork('identity/coordinator')), 'Alice')).toBe(
      ids.coordinator,
    );
  });

  test("'shared' identities: the same keys for every seed, in the XID order of the seed's own", () => {
    const shared = identitiesFrom(createRng(SHARED_IDENTITY_SEED), names(5));
    for (const n of [2, 3, 5]) {
      for (let seed = 1; seed <= 12; seed++) {
        const own = identitiesFrom(createRng(seed), names(n));
        const got = sharedIdentities(createRng(seed), names(n));
        expect(got.coordinator).toBe(shared.coordinator);
        expect(got.participants.map((p) => p.name)).toEqual(names(n));
        expect(new Set(got.participants.map((p) => p.xid))).toEqual(
          new Set(shared.participants.slice(0, n).map((p) => p.xid)),
        );
        expect(slotsInXidOrder(got.participants)).toEqual(slotsInXidOrder(own.participants));
      }
    }
  });
});
