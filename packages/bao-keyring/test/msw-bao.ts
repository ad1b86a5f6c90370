/**
 * msw building blocks for a fake Bao: deterministic test keys and handlers that answer with real
 * signatures (the keyring verifies every signature, so zero-filled ones would be rejected).
 */
import { realClock } from '@fanout/core';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { http, HttpResponse } from 'msw';
import { BaoClient, BaoKeyring, type BaoClientOptions } from '../src/index.js';

export const BASE = 'http://bao.test';
export const MOUNT = `${BASE}/v1/secp256k1`;

/** Private key of test key `name`: SHA-256("test-key/" + name) (a valid scalar for every name used here). */
export function testSecret(name: string): Uint8Array {
  return sha256(utf8ToBytes(`test-key/${name}`));
}

export function testPublic(name: string): Uint8Array {
  return secp256k1.getPublicKey(testSecret(name), true);
}

export function keyData(name: string, exportable = false): Record<string, unknown> {
  const pub = testPublic(name);
  return {
    name,
    public_key: bytesToHex(pub),
    address: bytesToHex(ripemd160(sha256(pub))),
    exportable,
    created_at: '2025-01-01T00:00:00Z',
  };
}

export function envelope(data: unknown): Record<string, unknown> {
  return {
    request_id: 'req',
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: null,
    auth: null,
  };
}

export const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
export const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

export interface SignBody {
  input: string;
  prehashed: boolean;
  output_format?: string;
  hash_algorithm?: string;
}

/** A correct cosmos signature by test key `name` over `digest`. */
export function testSign(name: string, digest: Uint8Array): Uint8Array {
  return secp256k1.sign(digest, testSecret(name), { prehash: false });
}

/**
 * Sign handler: checks the request is prehashed 32 bytes, optionally waits in `before`, then
 * answers with `signature(name, digest)` (default: a real signature by test key `name`).
 */
export function signHandler(
  opts: {
    before?: (name: string) => Promise<void> | void;
    signature?: (name: string, digest: Uint8Array) => Uint8Array;
    publicKey?: (name: string) => Uint8Array;
    seen?: SignBody[];
  } = {},
) {
  return http.post(`${MOUNT}/sign/:name`, async ({ params, request }) => {
    const name = String(params.name);
    const body = (await request.json()) as SignBody;
    opts.seen?.push(body);
    const digest = unb64(body.input);
    if (!body.prehashed || digest.length !== 32)
      return HttpResponse.json({ errors: ['prehashed input must be 32 bytes'] }, { status: 400 });
    await opts.before?.(name);
    const sig = (opts.signature ?? testSign)(name, digest);
    return HttpResponse.json(
      envelope({
        signature: b64(sig),
        public_key: bytesToHex((opts.publicKey ?? testPublic)(name)),
        key_version: 1,
      }),
    );
  });
}

/** Read handler: every name exists (test key), unless `missing` says otherwise. */
export function readHandler(missing: (name: string) => boolean = () => false) {
  return http.get(`${MOUNT}/keys/:name`, ({ params }) => {
    const name = String(params.name);
    if (missing(name)) return HttpResponse.json({ errors: ['key not found'] }, { status: 400 });
    return HttpResponse.json(envelope(keyData(name)));
  });
}

/** Create handler answering with the test key of the name; `before` may wait or throw a Response. */
export function createHandler(
  opts: { before?: (name: string) => Promise<Response | undefined> | Response | undefined } = {},
) {
  return http.post(`${MOUNT}/keys/:name`, async ({ params, request }) => {
    const name = String(params.name);
    const body = (await request.json()) as { exportable?: boolean };
    const early = await opts.before?.(name);
    if (early !== undefined) return early;
    return HttpResponse.json(envelope(keyData(name, body.exportable === true)));
  });
}

/** A client + keyring whose fetch goes through the (msw-patched) global fetch. */
export function mswKeyring(extra: Partial<BaoClientOptions> = {}): {
  client: BaoClient;
  keyring: BaoKeyring;
} {
  const client = new BaoClient({
    address: BASE,
    token: 'test-token',
    fetch: (u, i) => globalThis.fetch(u, i),
    ...extra,
    clock: extra.clock ?? realClock,
  });
  return { client, keyring: new BaoKeyring({ client }) };
}

/**
 * Concurrency probe: `enter()` counts a request in flight and waits until `width` requests are in
 * flight together (or `remaining()` says fewer are still coming), then all proceed. A sequential
 * client would never reach the width and the test would time out: the probe can fail.
 */
export class Barrier {
  inFlight = 0;
  peak = 0;
  arrived = 0;
  #waiting: (() => void)[] = [];
  constructor(
    readonly width: number,
    readonly total: number,
  ) {}

  async enter(): Promise<void> {
    this.arrived++;
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
    const remaining = this.total - (this.arrived - this.inFlight);
    if (this.inFlight >= Math.min(this.width, remaining)) {
      const w = this.#waiting;
      this.#waiting = [];
      w.forEach((f) => f());
    } else {
      await new Promise<void>((r) => this.#waiting.push(r));
    }
  }

  leave(): void {
    this.inFlight--;
  }
}
