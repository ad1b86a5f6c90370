/**
 * BaoClient: HTTP client for OpenBao with the popsigner `secp256k1` plugin.
 *
 * Protocol source: popsigner bao_client.go and plugin/secp256k1/path_*.go; OpenBao API docs
 * (envelope, `{"errors":[...]}`, `X-Vault-Token` / `X-Vault-Namespace`, LIST sent as
 * `GET ?list=true` like the Vault API client does, empty list → 404 `{"errors":[]}`).
 *
 * Every request carries an AbortSignal that fires after `timeoutMs` (30 s by default, armed on the
 * injected Clock so virtual-time tests work) or when the caller's signal aborts. The client is
 * safe for concurrent use: requests share nothing but the connection pool.
 */
import type { Clock, FetchLike } from '@fanout/core';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import type * as Undici from 'undici';
import { z } from 'zod';
import {
  BaoAuthError,
  BaoKeyExistsError,
  BaoKeyNotFoundError,
  BaoRequestError,
  BaoResponseError,
  BaoSealedError,
  BaoSignatureInvalidError,
  BaoTimeoutError,
  BaoUnavailableError,
  BaoValidationError,
} from './errors.js';
import { isCompressedPointHex } from './crypto-memo.js';

/**
 * undici, loaded at the first request of a client that has its own connection pool (the live
 * path, no injected fetch): a client on the simulator's fetch never loads it (about 70 ms).
 */
let undici: Promise<typeof Undici> | undefined;

/** Options of {@link BaoClient}. */
export interface BaoClientOptions {
  /** Base URL of OpenBao, e.g. `http://127.0.0.1:8200` (a trailing slash is ignored). */
  address: string;
  /** Token sent as `X-Vault-Token`. */
  token: string;
  /** Default `X-Vault-Namespace` ('' / undefined: none). Each call may override it. */
  namespace?: string;
  /** Plugin mount path. Default 'secp256k1'. */
  mount?: string;
  /** Per-request timeout, ms (> 0). Default 30 000 (popsigner's HTTPTimeout). */
  timeoutMs?: number;
  /** Clock that arms the timeout (VirtualClock in simulation, realClock live). Required: no fallback. */
  clock: Clock;
  /**
   * fetch implementation (@fanout/core FetchLike: global fetch, the simulated network's fetch, the
   * Bao simulator's `sim.fetch`, msw-patched fetch). Default: undici's fetch over a pooled undici
   * Agent owned by the client (the live path).
   */
  fetch?: FetchLike;
  /** Pool size per origin of the default Agent. Default 100. Ignored with an injected fetch. */
  connections?: number;
}

/** Per-call options. */
export interface BaoCallOptions {
  /** Overrides the client's namespace ('' = root). */
  namespace?: string;
  /** Caller cancellation: the request is aborted and the call rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Overrides the client's timeout for this call, ms. */
  timeoutMs?: number;
}

/** Key metadata as the plugin reports it. */
export interface BaoKeyInfo {
  readonly name: string;
  /** 33-byte compressed secp256k1 public key. */
  readonly publicKey: Uint8Array;
  /** Hex of RIPEMD160(SHA256(publicKey)), 40 hex chars, as sent by the server. */
  readonly address: string;
  readonly ethAddress: string | undefined;
  readonly exportable: boolean;
  /** RFC 3339 creation time, when sent. */
  readonly createdAt: string | undefined;
  readonly imported: boolean | undefined;
}

/** Result of {@link BaoClient.sign}. */
export interface BaoSignature {
  /** 64-byte R‖S (format 'cosmos') or DER (format 'der'). */
  readonly signature: Uint8Array;
  /** The signing key's compressed public key, when the server sent one. */
  readonly publicKey: Uint8Array | undefined;
  readonly keyVersion: number | undefined;
}

/** Options of {@link BaoClient.sign}. */
export interface BaoSignOptions extends BaoCallOptions {
  /** `input` is already a 32-byte digest (sent as `prehashed: true`). Default false. */
  prehashed?: boolean;
  /** Hash the server applies when not prehashed. Default 'sha256'. */
  hashAlgorithm?: 'sha256' | 'keccak256';
  /** Default 'cosmos' (64-byte R‖S). */
  outputFormat?: 'cosmos' | 'der';
}

/** `/v1/sys/health` of an active, unsealed server. */
export interface BaoHealth {
  readonly initialized: boolean;
  readonly sealed: boolean;
  readonly standby: boolean;
  readonly version: string | undefined;
}

/** Key names the plugin accepts (OpenBao framework.GenericNameRegex, `\w(([\w-.]+)?\w)?`: no '@'). */
export const BAO_KEY_NAME = /^\w(?:[\w.-]*\w)?$/;

const hex = (len: number) =>
  z
    .string()
    .regex(/^[0-9a-fA-F]*$/, 'not hex')
    .refine((s) => s.length === len * 2, `expected ${len} bytes of hex`);

const keyInfoSchema = z.object({
  name: z.string(),
  public_key: hex(33).refine(isCompressedPointHex, 'not a compressed secp256k1 point'),
  address: hex(20),
  eth_address: z.string().optional(),
  exportable: z.boolean(),
  created_at: z.string().optional(),
  imported: z.boolean().optional(),
});

const signSchema = z.object({
  signature: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64'),
  public_key: hex(33).optional(),
  key_version: z.number().optional(),
});

const listSchema = z.object({
  keys: z.array(z.string()),
  key_info: z.record(z.string(), keyInfoSchema).optional(),
});

// The plugin's export answer has neither eth_address nor exportable (popsigner path_export.go).
const exportSchema = keyInfoSchema.extend({
  exportable: z.boolean().optional(),
  keys: z.record(z.string(), z.string()),
});

const healthSchema = z.object({
  initialized: z.boolean(),
  sealed: z.boolean(),
  standby: z.boolean(),
  version: z.string().optional(),
});

const errorsSchema = z.object({ errors: z.array(z.string()) });

function toKeyInfo(d: z.output<typeof keyInfoSchema>): BaoKeyInfo {
  return {
    name: d.name,
    publicKey: hexToBytes(d.public_key),
    address: d.address.toLowerCase(),
    ethAddress: d.eth_address,
    exportable: d.exportable,
    createdAt: d.created_at,
    imported: d.imported,
  };
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** Parse `Retry-After` (seconds or an HTTP date is not supported → undefined), in ms. */
function retryAfterMs(headers: Headers): number | undefined {
  const v = headers.get('retry-after');
  if (v === null || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v.trim()) * 1000;
}

/**
 * HTTP client for the Bao secp256k1 plugin. All methods are safe to call concurrently.
 * Errors: see errors.ts for the status → class mapping. Caller aborts reject with the caller's
 * `signal.reason` untouched.
 */
export class BaoClient {
  readonly #base: string;
  readonly #token: string;
  readonly #namespace: string;
  readonly #mount: string;
  readonly #timeoutMs: number;
  readonly #fetch: FetchLike;
  #agent: Undici.Agent | undefined; // the live path's pool, made at its first request
  #closed = false;
  /** The clock arming request timeouts (the keyring reuses it for fan-outs). */
  readonly clock: Clock;

  /**
   * @throws BaoValidationError naming 'address' (not an http(s) URL), 'token' (empty),
   *   'timeoutMs' (not > 0), 'mount' (empty or containing '/'), 'connections' (not an integer ≥ 1).
   */
  constructor(options: BaoClientOptions) {
    let url: URL;
    try {
      url = new URL(options.address);
    } catch {
      throw new BaoValidationError('address', `not a URL: ${String(options.address)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new BaoValidationError('address', `must be http(s), got ${url.protocol}`);
    }
    if (typeof options.token !== 'string' || options.token === '')
      throw new BaoValidationError('token', 'must be a non-empty string');
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (!(typeof timeoutMs === 'number' && timeoutMs > 0))
      throw new BaoValidationError('timeoutMs', `must be > 0, got ${String(timeoutMs)}`);
    const mount = options.mount ?? 'secp256k1';
    if (mount === '' || mount.includes('/'))
      throw new BaoValidationError('mount', `must be one path segment, got "${mount}"`);
    this.#base = options.address.replace(/\/+$/, '');
    this.#token = options.token;
    this.#namespace = options.namespace ?? '';
    this.#mount = mount;
    this.#timeoutMs = timeoutMs;
    this.clock = options.clock;
    if (options.fetch !== undefined) {
      this.#fetch = options.fetch;
      this.#agent = undefined;
    } else {
      const connections = options.connections ?? 100;
      if (!Number.isInteger(connections) || connections < 1) {
        throw new BaoValidationError('connections', `must be an integer >= 1, got ${connections}`);
      }
      this.#fetch = async (input, init) => {
        const { Agent, fetch: undiciFetch } = await (undici ??= import('undici'));
        if (this.#agent === undefined) {
          this.#agent = new Agent({ connections, keepAliveTimeout: 90_000 });
          // Closed before its first request: requests fail as they do on a closed pool.
          if (this.#closed) await this.#agent.close();
        }
        return (await undiciFetch(
          input as Parameters<typeof undiciFetch>[0],
          {
            ...(init as object),
            dispatcher: this.#agent,
          } as Parameters<typeof undiciFetch>[1],
        )) as unknown as Response;
      };
    }
  }

  /** The default `X-Vault-Namespace` ('' = none). */
  get namespace(): string {
    return this.#namespace;
  }

  /**
   * Release the pooled connections of the default Agent (no-op with an injected fetch; a second
   * call does nothing). Requests after it fail with BaoUnavailableError.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#agent?.close();
  }

  #keyPath(kind: 'keys' | 'sign' | 'export', name: string, suffix = ''): string {
    if (typeof name !== 'string' || !BAO_KEY_NAME.test(name)) {
      throw new BaoValidationError(
        'name',
        `"${String(name)}" is not a valid key name (letters, digits, _ . @ -, starting and ending with a letter/digit/_)`,
      );
    }
    return `/v1/${this.#mount}/${kind}/${encodeURIComponent(name)}${suffix}`;
  }

  /** Send one request; resolves with status, headers and body text. Transport errors are mapped here. */
  async #send(method: string, path: string, body: unknown, opts: BaoCallOptions): Promise<RawResponse> {
    const timeoutMs = opts.timeoutMs ?? this.#timeoutMs;
    if (!(timeoutMs > 0)) throw new BaoValidationError('timeoutMs', `must be > 0, got ${String(timeoutMs)}`);
    const caller = opts.signal;
    if (caller?.aborted) throw caller.reason;
    const headers: Record<string, string> = { 'X-Vault-Token': this.#token, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const ns = opts.namespace ?? this.#namespace;
    if (ns !== '') headers['X-Vault-Namespace'] = ns;

    const ctl = new AbortController();
    let rejectAbort!: (reason: unknown) => void;
    const aborted = new Promise<never>((_, reject) => (rejectAbort = reject));
    aborted.catch(() => undefined);
    // The reason is either our BaoTimeoutError or the caller's own signal.reason.
    const onAbort = (): void => rejectAbort(ctl.signal.reason);
    ctl.signal.addEventListener('abort', onAbort, { once: true });
    const timer = this.clock.setTimer(
      () => ctl.abort(new BaoTimeoutError(timeoutMs, method, path)),
      timeoutMs,
    );
    const onCaller = (): void => ctl.abort(caller!.reason);
    caller?.addEventListener('abort', onCaller, { once: true });
    try {
      const init: RequestInit = { method, headers, signal: ctl.signal };
      if (body !== undefined) init.body = JSON.stringify(body);
      const transport = async (): Promise<RawResponse> => {
        let res: Response;
        try {
          res = await this.#fetch(`${this.#base}${path}`, init);
        } catch (e) {
          if (ctl.signal.aborted) throw ctl.signal.reason;
          throw new BaoUnavailableError(
            `${method} ${path}: network error: ${(e as Error)?.message ?? String(e)}`,
            { cause: e },
          );
        }
        let text: string;
        try {
          text = await res.text();
        } catch (e) {
          if (ctl.signal.aborted) throw ctl.signal.reason;
          throw new BaoUnavailableError(
            `${method} ${path}: reading the body failed: ${(e as Error)?.message ?? String(e)}`,
            {
              status: res.status,
              cause: e,
            },
          );
        }
        return { status: res.status, headers: res.headers, text };
      };
      // Race against the abort so a fetch that ignores its signal still times out.
      return await Promise.race([transport(), aborted]);
    } finally {
      this.clock.clearTimer(timer);
      caller?.removeEventListener('abort', onCaller);
      ctl.signal.removeEventListener('abort', onAbort);
    }
  }

  /** Map a non-2xx response to its typed error. */
  #failure(res: RawResponse, method: string, path: string, keyName: string | undefined): Error {
    let errors: string[] = [];
    try {
      const parsed = errorsSchema.safeParse(JSON.parse(res.text));
      if (parsed.success) errors = parsed.data.errors;
      else if (res.text !== '') errors = [res.text.slice(0, 200)];
    } catch {
      if (res.text !== '') errors = [res.text.slice(0, 200)];
    }
    const details = { status: res.status, errors };
    const said = errors.join('; ');
    const msg = `${method} ${path}: HTTP ${res.status}${said === '' ? '' : `: ${said}`}`;
    const s = res.status;
    if (s === 403) return new BaoAuthError(msg, details);
    if (s === 503) return new BaoSealedError(msg, details);
    if (s === 429 || s >= 500)
      return new BaoUnavailableError(msg, { ...details, retryAfterMs: retryAfterMs(res.headers) });
    // Exactly the plugin's "key not found": "namespace not found" and "no handler for route …
    // route entry not found." (404 too) are not a missing key.
    if (keyName !== undefined && (s === 400 || s === 404) && errors.includes('key not found'))
      return new BaoKeyNotFoundError(keyName, details);
    // OpenBao answers a read of a path with nothing stored as 404 {"errors":[]} (no message): on a
    // key route that is the key missing (the 404 switch of some plugin versions / proxies).
    if (keyName !== undefined && s === 404 && errors.length === 0)
      return new BaoKeyNotFoundError(keyName, details);
    if (keyName !== undefined && s === 400 && /already exists/i.test(said))
      return new BaoKeyExistsError(keyName, details);
    return new BaoRequestError(msg, details);
  }

  /** Send, check the status, parse `data` with `schema`. */
  async #call<S extends z.ZodType>(
    method: string,
    path: string,
    body: unknown,
    opts: BaoCallOptions,
    keyName: string | undefined,
    schema: S,
  ): Promise<z.output<S>> {
    const res = await this.#send(method, path, body, opts);
    if (res.status < 200 || res.status > 299) throw this.#failure(res, method, path, keyName);
    return this.#parse(res, schema);
  }

  #parse<S extends z.ZodType>(res: RawResponse, schema: S): z.output<S> {
    let json: unknown;
    try {
      json = JSON.parse(res.text);
    } catch (e) {
      throw new BaoResponseError('body', `not JSON: ${(e as Error).message}`, { status: res.status });
    }
    const data = (json as { data?: unknown } | null)?.data;
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new BaoResponseError(['data', ...issue.path.map(String)].join('.'), issue.message, {
        status: res.status,
      });
    }
    return parsed.data as z.output<S>;
  }

  /**
   * Create a key: `POST /v1/{mount}/keys/{name} {"exportable"}`.
   * @throws BaoKeyExistsError (400 "key already exists"), BaoValidationError('name'), and the common errors.
   */
  async createKey(name: string, opts: BaoCallOptions & { exportable?: boolean } = {}): Promise<BaoKeyInfo> {
    const path = this.#keyPath('keys', name);
    return toKeyInfo(
      await this.#call('POST', path, { exportable: opts.exportable ?? false }, opts, name, keyInfoSchema),
    );
  }

  /**
   * Read a key's metadata: `GET /v1/{mount}/keys/{name}`.
   * @throws BaoKeyNotFoundError (400/404 "key not found") and the common errors.
   */
  async getKey(name: string, opts: BaoCallOptions = {}): Promise<BaoKeyInfo> {
    return toKeyInfo(
      await this.#call('GET', this.#keyPath('keys', name), undefined, opts, name, keyInfoSchema),
    );
  }

  /**
   * List keys: `GET /v1/{mount}/keys?list=true` (the HTTP form of LIST). An empty mount answers
   * 404 `{"errors":[]}`, returned here as no keys.
   * @returns names (server order) and the metadata the server sent in `key_info` (may be empty).
   */
  async listKeys(opts: BaoCallOptions = {}): Promise<{ keys: string[]; keyInfo: Map<string, BaoKeyInfo> }> {
    const path = `/v1/${this.#mount}/keys?list=true`;
    const res = await this.#send('GET', path, undefined, opts);
    if (res.status === 404) {
      const parsed = (() => {
        try {
          return errorsSchema.safeParse(JSON.parse(res.text));
        } catch {
          return undefined;
        }
      })();
      if (parsed?.success && parsed.data.errors.length === 0) return { keys: [], keyInfo: new Map() };
    }
    if (res.status < 200 || res.status > 299) throw this.#failure(res, 'GET', path, undefined);
    const data = this.#parse(res, listSchema);
    const keyInfo = new Map<string, BaoKeyInfo>();
    for (const [k, v] of Object.entries(data.key_info ?? {})) keyInfo.set(k, toKeyInfo(v));
    return { keys: data.keys, keyInfo };
  }

  /** Delete a key: `DELETE /v1/{mount}/keys/{name}` (204; idempotent on the plugin). */
  async deleteKey(name: string, opts: BaoCallOptions = {}): Promise<void> {
    const path = this.#keyPath('keys', name);
    const res = await this.#send('DELETE', path, undefined, opts);
    if (res.status < 200 || res.status > 299) throw this.#failure(res, 'DELETE', path, name);
  }

  /**
   * Sign: `POST /v1/{mount}/sign/{name} {input: base64, prehashed, hash_algorithm, output_format}`.
   * @param input bytes to sign; exactly 32 bytes when `prehashed`.
   * @throws BaoValidationError('input') for a prehashed input that is not 32 bytes (no request sent);
   *   BaoSignatureInvalidError when a 'cosmos' signature is not 64 bytes; BaoKeyNotFoundError; the common errors.
   */
  async sign(name: string, input: Uint8Array, opts: BaoSignOptions = {}): Promise<BaoSignature> {
    const path = this.#keyPath('sign', name);
    if (!(input instanceof Uint8Array)) throw new BaoValidationError('input', 'must be a Uint8Array');
    const prehashed = opts.prehashed ?? false;
    if (prehashed && input.length !== 32)
      throw new BaoValidationError('input', `prehashed input must be 32 bytes, got ${input.length}`);
    const outputFormat = opts.outputFormat ?? 'cosmos';
    const body: Record<string, unknown> = { input: b64(input), prehashed, output_format: outputFormat };
    if (!prehashed) body.hash_algorithm = opts.hashAlgorithm ?? 'sha256';
    const d = await this.#call('POST', path, body, opts, name, signSchema);
    const signature = unb64(d.signature);
    if (outputFormat === 'cosmos' && signature.length !== 64) {
      throw new BaoSignatureInvalidError(name, `expected 64 bytes (R||S), got ${signature.length}`);
    }
    return {
      signature,
      publicKey: d.public_key === undefined ? undefined : hexToBytes(d.public_key),
      keyVersion: d.key_version,
    };
  }

  /**
   * Import a raw private key: `POST /v1/{mount}/keys/{name}/import {"ciphertext": base64, exportable}`.
   * @throws BaoValidationError('privateKey') unless 32 bytes forming a valid secp256k1 scalar.
   */
  async importKey(
    name: string,
    privateKey: Uint8Array,
    opts: BaoCallOptions & { exportable?: boolean } = {},
  ): Promise<BaoKeyInfo> {
    const path = this.#keyPath('keys', name, '/import');
    if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32) {
      throw new BaoValidationError(
        'privateKey',
        `must be 32 bytes, got ${privateKey instanceof Uint8Array ? privateKey.length : typeof privateKey}`,
      );
    }
    if (!secp256k1.utils.isValidSecretKey(privateKey))
      throw new BaoValidationError('privateKey', 'not a valid secp256k1 scalar (0 or >= n)');
    const body = { ciphertext: b64(privateKey), exportable: opts.exportable ?? false };
    return toKeyInfo(await this.#call('POST', path, body, opts, name, keyInfoSchema));
  }

  /**
   * Export an exportable key: `GET /v1/{mount}/export/{name}` → `data.keys["1"]`.
   * @returns the metadata and every key version (version → 32-byte private key); `latest` is the highest version.
   * @throws BaoRequestError (400 "key is not exportable"), BaoKeyNotFoundError, BaoResponseError('data.keys')
   *   when no version is present or a version is not 32 bytes.
   */
  async exportKey(
    name: string,
    opts: BaoCallOptions = {},
  ): Promise<{ info: BaoKeyInfo; keys: Map<number, Uint8Array>; latest: Uint8Array }> {
    const d = await this.#call('GET', this.#keyPath('export', name), undefined, opts, name, exportSchema);
    const keys = new Map<number, Uint8Array>();
    for (const [v, k] of Object.entries(d.keys)) {
      const sk = unb64(k);
      if (!/^\d+$/.test(v) || sk.length !== 32)
        throw new BaoResponseError(`data.keys.${v}`, 'expected a version number → base64 of 32 bytes');
      keys.set(Number(v), sk);
    }
    const versions = [...keys.keys()].sort((a, b) => a - b);
    if (versions.length === 0) throw new BaoResponseError('data.keys', 'no key versions');
    // A key the server exports is exportable, whether or not the answer says so.
    const info = toKeyInfo({ ...d, exportable: d.exportable ?? true });
    return { info, keys, latest: keys.get(versions[versions.length - 1]!)! };
  }

  /**
   * `GET /v1/sys/health` (sent with the token, which health ignores).
   * @returns the status of an active server (200).
   * @throws BaoSealedError on 503; BaoUnavailableError on 429 (standby), 501 (uninitialised) and any other status.
   */
  async health(opts: BaoCallOptions = {}): Promise<BaoHealth> {
    const path = '/v1/sys/health';
    const res = await this.#send('GET', path, undefined, opts);
    if (res.status === 503) throw new BaoSealedError(`GET ${path}: HTTP 503: sealed`, { status: 503 });
    if (res.status !== 200) {
      const what =
        res.status === 429 ? 'standby' : res.status === 501 ? 'not initialised' : 'unexpected status';
      throw new BaoUnavailableError(`GET ${path}: HTTP ${res.status}: ${what}`, { status: res.status });
    }
    let json: unknown;
    try {
      json = JSON.parse(res.text);
    } catch (e) {
      throw new BaoResponseError('body', `not JSON: ${(e as Error).message}`, { status: 200 });
    }
    const parsed = healthSchema.safeParse(json);
    if (!parsed.success)
      throw new BaoResponseError(parsed.error.issues[0]!.path.join('.'), parsed.error.issues[0]!.message, {
        status: 200,
      });
    return { ...parsed.data, version: parsed.data.version };
  }
}
