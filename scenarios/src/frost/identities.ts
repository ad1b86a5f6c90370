/**
 * The parties' identities (Ed25519 signing key, X25519 encryption key, XID), made once per process
 * for the random bytes they come from. Identity derivation is a pure function of its 64 random
 * bytes, so an identity drawn again from the same bytes is the same object, with its keys'
 * precomputed tables (@fanout/frost curve25519.ts, points.ts) already built.
 *
 * Two ways to draw them (`FrostWorldSpec.identities`):
 * - 'seed' (the default; the demo, tests, the fixture): from the world's own streams
 *   (`identity/coordinator`, `identity/<i>`), as always: same seed, same identities.
 * - 'shared' (frost.dkg, frost.round-time): the process-wide identity set of
 *   {@link SHARED_IDENTITY_SEED} (the same keys in every run), handed to the plan targets p1 … pN
 *   in the XID order the seed's own identities would have: the seed's signing keys are derived
 *   (one base-point multiplication each, not a whole identity) and ranked by XID, and the shared
 *   participant of the same rank goes to each slot. So which FROST identifier each plan target
 *   gets, and the order of a sequential coordinator, are exactly those of 'seed' identities, and
 *   traces do not change; only the keys do.
 */
import { createIdentity, xidOf, type Identity } from '@fanout/frost';
import { createRng, rngBytesFn, type Rng } from '@fanout/sim';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { LRUCache } from 'lru-cache';

/** Seed of the process-wide identity set (the fixture's seed: fixture groups use these identities). */
export const SHARED_IDENTITY_SEED = 0x0f05;

/** How a world draws its parties' identities (see the module docstring). */
export type IdentitySource = 'seed' | 'shared';

/** Identities kept, at most (each is a few hundred bytes). */
const MEMO_CAPACITY = 4096;
const memo = new LRUCache<string, Identity>({ max: MEMO_CAPACITY });

/**
 * `createIdentity(rng, name)`, memoised on the 64 bytes it draws from `rng` (32 for the signing
 * seed, then 32 for the encryption key, as createIdentity draws them) and the name.
 */
export function identityFrom(rng: (n: number) => Uint8Array, name: string): Identity {
  const signing = rng(32);
  const encryption = rng(32);
  const key = `${bytesToHex(signing)}${bytesToHex(encryption)}/${name}`;
  let identity = memo.get(key);
  if (identity === undefined) {
    const chunks = [signing, encryption];
    identity = createIdentity((n) => {
      const next = chunks.shift();
      if (next === undefined || next.length !== n) throw new RangeError('identity drew unexpected bytes');
      return next;
    }, name);
    memo.set(key, identity);
  }
  return identity;
}

/**
 * The coordinator's and the participants' identities drawn from `root` (a world's stream, or the
 * shared set's): the coordinator from `identity/coordinator` named 'Alice', participant i from
 * `identity/<i>` named `names[i]`.
 */
export function identitiesFrom(
  root: Rng,
  names: readonly string[],
): { coordinator: Identity; participants: Identity[] } {
  return {
    coordinator: identityFrom(rngBytesFn(root.fork('identity/coordinator')), 'Alice'),
    participants: names.map((name, i) => identityFrom(rngBytesFn(root.fork(`identity/${i}`)), name)),
  };
}

/**
 * The shared identity set's coordinator and `names.length` participants, the participants in the
 * XID order of the identities `root` would draw (see the module docstring), each renamed after
 * its slot (`names[slot]`).
 */
export function sharedIdentities(
  root: Rng,
  names: readonly string[],
): { coordinator: Identity; participants: Identity[] } {
  const set = identitiesFrom(createRng(SHARED_IDENTITY_SEED), names);
  const byXid = (a: { xid: string }, b: { xid: string }): number =>
    a.xid < b.xid ? -1 : a.xid > b.xid ? 1 : 0;
  const shared = [...set.participants].sort(byXid);
  // the XIDs the seed's own identities would have: SHA-256 of the public key of their signing seed
  const seeded = names.map((_, slot) => ({
    slot,
    xid: xidOf(ed25519.getPublicKey(rngBytesFn(root.fork(`identity/${slot}`))(32))),
  }));
  const participants = new Array<Identity>(names.length);
  [...seeded].sort(byXid).forEach(({ slot }, rank) => {
    participants[slot] = { ...shared[rank]!, name: names[slot]! };
  });
  return { coordinator: set.coordinator, participants };
}
