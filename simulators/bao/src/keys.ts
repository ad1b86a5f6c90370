/**
 * Key pairs of the simulated plugin, with what is derived from them (public key, Cosmos and
 * Ethereum addresses, RFC 6979 signatures) computed once, and a key source for simulations that
 * derives each key from its name instead of drawing it.
 *
 * Everything here is a pure function of the private key (and of the signed digest): remembering
 * an answer instead of computing it again changes no byte the server sends. The memos are bounded
 * maps; an entry pushed out is simply computed again.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { LRUCache } from 'lru-cache';
import {
  FORGER_PRIVATE_KEY,
  FORGER_PUBLIC_KEY,
  compressedPublicKey,
  cosmosAddress,
  ethAddress,
  signDigest,
  type BaoSigner,
  type OutputFormat,
} from './crypto.js';

/**
 * A memo of at most `capacity` entries that forgets its oldest entry when full (an lru-cache read
 * with `peek`, so reads do not reorder it): the memo behind the caches of this package (answers
 * of pure functions only; a value must not be undefined).
 */
export class BoundedMemo<K extends NonNullable<unknown>, V extends NonNullable<unknown>> {
  readonly #entries: LRUCache<K, V>;

  /** @param capacity most entries kept (integer ≥ 1). @throws RangeError otherwise. */
  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1)
      throw new RangeError(`BoundedMemo: capacity must be an integer >= 1, got ${String(capacity)}`);
    this.#entries = new LRUCache<K, V>({ max: capacity });
  }

  /** Entries kept now. */
  get size(): number {
    return this.#entries.size;
  }

  /** The remembered value of `key`, else `compute()` (remembered, the oldest entry dropped when full). */
  get(key: K, compute: () => V): V {
    const hit = this.#entries.peek(key);
    if (hit !== undefined) return hit;
    const value = compute();
    this.#entries.set(key, value);
    return value;
  }
}

/** Signatures one {@link BaoKeyPair} remembers by default (digests; 64 bytes each). */
export const DEFAULT_SIGNATURE_MEMO = 256;

/**
 * One secp256k1 key pair of the server. The public key is computed at construction (unless
 * given), the addresses on first use. With `signatureMemo` > 0 the pair also remembers its
 * compact signatures by digest: RFC 6979 signing (noble's default, no extra entropy) is a pure
 * function of (private key, digest), so a remembered signature is byte for byte the one noble
 * would compute again. Pairs that live longer than one server (see {@link derivedKeySource}) use
 * it; a pair drawn for one server does not.
 */
export class BaoKeyPair implements BaoSigner {
  /** 32-byte private scalar. Never handed out by this class except here. */
  readonly privateKey: Uint8Array;
  /** 33-byte compressed public key. */
  readonly publicKey: Uint8Array;
  #address: string | undefined;
  #ethAddress: string | undefined;
  readonly #signatures: BoundedMemo<string, Uint8Array> | undefined;

  /**
   * @param privateKey a valid 32-byte secp256k1 scalar (not checked: the callers draw or check it).
   * @param o.publicKey its compressed public key when already known; @param o.signatureMemo
   *   signatures remembered (0 = none, the default).
   */
  constructor(privateKey: Uint8Array, o: { publicKey?: Uint8Array; signatureMemo?: number } = {}) {
    this.privateKey = privateKey;
    this.publicKey = o.publicKey ?? compressedPublicKey(privateKey);
    const memo = o.signatureMemo ?? 0;
    this.#signatures = memo > 0 ? new BoundedMemo(memo) : undefined;
  }

  /** Hex of the Cosmos address, RIPEMD160(SHA256(public key)) (40 chars). */
  get address(): string {
    return (this.#address ??= bytesToHex(cosmosAddress(this.publicKey)));
  }

  /** The EIP-55 Ethereum address (see crypto.ts `ethAddress`). */
  get ethAddress(): string {
    return (this.#ethAddress ??= ethAddress(this.publicKey));
  }

  /**
   * The low-S RFC 6979 signature of a 32-byte digest (crypto.ts `signDigest`): a fresh array the
   * caller may keep or change.
   * @returns 64-byte R‖S for 'cosmos', DER for 'der'.
   */
  sign(digest: Uint8Array, format: OutputFormat): Uint8Array {
    if (this.#signatures === undefined) return signDigest(this.privateKey, digest, format);
    const compact = this.#signatures.get(bytesToHex(digest), () =>
      signDigest(this.privateKey, digest, 'cosmos'),
    );
    return format === 'cosmos'
      ? compact.slice()
      : secp256k1.Signature.fromBytes(compact, 'compact').toBytes('der');
  }
}

/**
 * Where the server's new keys come from when they are not drawn: the key pair of the `nth`
 * creation (1 for the first, 2 after a delete, …) of key `name` in storage space `space` (namespace
 * + mount, e.g. 'secp256k1/').
 */
export type BaoKeySource = (space: string, name: string, nth: number) => BaoKeyPair;

/** Key pairs a {@link derivedKeySource} keeps by default. */
export const DEFAULT_DERIVED_KEYS = 2048;

/**
 * A key source for simulations whose keys need not differ from run to run: the private key of
 * (space, name, nth) is `randomSecretKey` of 48 bytes of SHA-256(label ‖ 0 ‖ id) ‖
 * SHA-256(label ‖ 1 ‖ id), id = `space` NUL `name` NUL `nth`. So every key is distinct per
 * namespace, name and re-creation, the same in every server using the same `label`, and
 * PREDICTABLE from the label (tests and simulations only, like a seed). The pairs are kept (at
 * most `capacity`, with a signature memo each), so a process that builds many servers computes
 * each public key, address and signature once.
 * @param label any text; different labels give unrelated keys.
 * @param o.capacity pairs kept (default {@link DEFAULT_DERIVED_KEYS}); @param o.signatureMemo
 *   signatures each pair remembers (default {@link DEFAULT_SIGNATURE_MEMO}).
 */
export function derivedKeySource(
  label: string,
  o: { capacity?: number; signatureMemo?: number } = {},
): BaoKeySource {
  const pairs = new BoundedMemo<string, BaoKeyPair>(o.capacity ?? DEFAULT_DERIVED_KEYS);
  const signatureMemo = o.signatureMemo ?? DEFAULT_SIGNATURE_MEMO;
  const prefix = utf8ToBytes(label);
  return (space, name, nth) => {
    const id = `${space}\u0000${name}\u0000${nth}`;
    return pairs.get(id, () => {
      const idBytes = utf8ToBytes(id);
      const half = (i: number): Uint8Array => sha256(concatBytes(prefix, new Uint8Array([i]), idBytes));
      const seed = concatBytes(half(0), half(1)).slice(0, secp256k1.lengths.seed ?? 48);
      return new BaoKeyPair(secp256k1.utils.randomSecretKey(seed), { signatureMemo });
    });
  };
}

/**
 * The simulator's fixed forger key ({@link FORGER_PRIVATE_KEY}) as a pair that remembers its
 * signatures, shared by every server of the process (the key never changes, so neither do they).
 */
export const FORGER_KEY_PAIR: BaoKeyPair = new BaoKeyPair(FORGER_PRIVATE_KEY, {
  publicKey: FORGER_PUBLIC_KEY,
  signatureMemo: DEFAULT_SIGNATURE_MEMO,
});
