/**
 * Local verification of the keyring's signatures with a per-key cache.
 *
 * `secp256k1.verify(sig, digest, pub)` (@noble/curves 2) decodes the public key (a square root)
 * and computes u1·G + u2·P with an un-precomputed P on every call. A keyring signs again and again
 * with the same few worker keys, so this verifier keeps each key's decoded point and, once the key
 * has been verified `precomputeAfter` times, attaches noble's fixed-window tables to it
 * (`Point.precompute(window)`), so R = u1·G + u2·P is two table-driven `multiplyUnsafe` calls
 * (G has noble's own tables). Measured here: ≈ 0.6 ms instead of ≈ 1.3–1.5 ms per verification,
 * for ≈ 8 ms once per key to build a window-4 table (hence the threshold: a key signed once or
 * twice never pays for it). Builds are spread out: at most one per `buildEvery` verifications,
 * so a batch over 100 keys that all cross the threshold at once does not stall the event loop for
 * 100 table builds (the extra CPU stays about one plain verification per verification).
 *
 * The algorithm is ECDSA verification as in SEC 1 v2 §4.1.4 and noble's own `verify`, with the
 * same acceptance: compact 64-byte R‖S, r and s in [1, n−1], s ≤ n/2 (low-S), 32-byte digest used
 * as the integer e mod n (bits2int of a 256-bit digest), accept iff R ≠ O and x(R) mod n = r.
 * Inputs of other shapes fall back to `secp256k1.verify` itself.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, bytesToNumberBE } from '@noble/curves/utils.js';

type Point = InstanceType<typeof secp256k1.Point>;
const { Point, Signature } = secp256k1;
const Fn = Point.Fn;

interface Entry {
  readonly point: Point;
  uses: number;
  precomputed: boolean;
}

/** Options of {@link SignatureVerifier}. */
export interface SignatureVerifierOptions {
  /** Keys whose points are cached (least recently used dropped first). Integer ≥ 1. Default 256. */
  maxKeys?: number;
  /** Verifications of one key before its table is built (0 = at once). Integer ≥ 0. Default 6. */
  precomputeAfter?: number;
  /** noble precompute window (bits), 2..16. Default 4 (table ≈ 8 ms to build here). */
  window?: number;
  /** At most one table build per this many verifications (integer ≥ 1). Default 8. */
  buildEvery?: number;
}

/** ECDSA/secp256k1 low-S verifier with cached, lazily precomputed public points. Not thread-shared state: one per keyring. */
export class SignatureVerifier {
  readonly #cache = new Map<string, Entry>();
  readonly #maxKeys: number;
  readonly #precomputeAfter: number;
  readonly #window: number;
  readonly #buildEvery: number;
  #sinceBuild: number;

  /** @throws RangeError naming the option when `maxKeys`, `precomputeAfter`, `window` or `buildEvery` is out of range. */
  constructor(options: SignatureVerifierOptions = {}) {
    const { maxKeys = 256, precomputeAfter = 6, window = 4, buildEvery = 8 } = options;
    if (!Number.isInteger(buildEvery) || buildEvery < 1)
      throw new RangeError(`buildEvery: must be an integer >= 1, got ${buildEvery}`);
    if (!Number.isInteger(maxKeys) || maxKeys < 1)
      throw new RangeError(`maxKeys: must be an integer >= 1, got ${maxKeys}`);
    if (!Number.isInteger(precomputeAfter) || precomputeAfter < 0)
      throw new RangeError(`precomputeAfter: must be an integer >= 0, got ${precomputeAfter}`);
    if (!Number.isInteger(window) || window < 2 || window > 16)
      throw new RangeError(`window: must be an integer in 2..16, got ${window}`);
    this.#maxKeys = maxKeys;
    this.#precomputeAfter = precomputeAfter;
    this.#window = window;
    this.#buildEvery = buildEvery;
    this.#sinceBuild = buildEvery;
  }

  /** Keys currently cached. */
  get size(): number {
    return this.#cache.size;
  }

  /**
   * Whether `signature` (64-byte compact R‖S, low-S) is `publicKey`'s signature of the 32-byte
   * `digest` (no hashing here). Same answer as
   * `secp256k1.verify(signature, digest, publicKey, { prehash: false, lowS: true })`; never throws.
   */
  verify(signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): boolean {
    if (signature.length !== 64 || digest.length !== 32) return this.#fallback(signature, digest, publicKey);
    try {
      const P = this.#point(publicKey);
      if (P === undefined) return false;
      const sig = Signature.fromBytes(signature, 'compact');
      if (sig.hasHighS()) return false;
      const e = Fn.create(bytesToNumberBE(digest));
      const w = Fn.inv(sig.s);
      const R = Point.BASE.multiplyUnsafe(Fn.create(e * w)).add(P.multiplyUnsafe(Fn.create(sig.r * w)));
      if (R.is0()) return false;
      return Fn.create(R.toAffine().x) === sig.r;
    } catch {
      return false;
    }
  }

  #fallback(signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): boolean {
    try {
      return secp256k1.verify(signature, digest, publicKey, { prehash: false, lowS: true });
    } catch {
      return false;
    }
  }

  /** The cached point of `publicKey` (decoded, validated, precomputed after enough uses); undefined for the identity. */
  #point(publicKey: Uint8Array): Point | undefined {
    const id = bytesToHex(publicKey);
    let entry = this.#cache.get(id);
    if (entry === undefined) {
      const point = Point.fromBytes(publicKey); // throws for a point not on the curve
      if (point.is0()) return undefined;
      entry = { point, uses: 0, precomputed: false };
      if (this.#cache.size >= this.#maxKeys) this.#cache.delete(this.#cache.keys().next().value!);
    } else {
      this.#cache.delete(id); // re-inserted below: most recently used last
    }
    this.#cache.set(id, entry);
    entry.uses++;
    this.#sinceBuild++;
    if (!entry.precomputed && entry.uses > this.#precomputeAfter && this.#sinceBuild >= this.#buildEvery) {
      entry.point.precompute(this.#window, false);
      entry.precomputed = true;
      this.#sinceBuild = 0;
    }
    return entry.point;
  }
}
