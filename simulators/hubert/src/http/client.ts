/**
 * KvStore over the Hubert HTTP API (hubert-rust src/server/kv.rs, ServerKv), fetch-based with an
 * injected fetch function so one client works in-process (`createHubertApp(store).fetch`) and
 * against a live server (`globalThis.fetch`).
 */
import type { Clock } from '@fanout/core';
import {
  AlreadyExistsError,
  HubertArgumentError,
  HubertParseError,
  HubertServerError,
  HubertUnavailableError,
} from '../errors.js';
import type { GetOptions, KvStore } from '../kv-store.js';
import { checkTtl, timeoutMsOf } from '../stores/base.js';
import { SERVER_POLL_INTERVAL_MS } from '../stores/memory.js';
import { canonicalAridUr, canonicalEnvelopeUr } from '../ur.js';

/** The fetch function the client calls: `app.fetch` in-process or `globalThis.fetch` live. */
export type HubertFetch = (request: Request) => Response | Promise<Response>;

/** Options of {@link HubertHttpClient}. */
export interface HubertHttpClientOptions {
  /** Server base URL without a trailing slash, e.g. `http://127.0.0.1:45678` (any origin works in-process). */
  baseUrl: string;
  /** The fetch function. */
  fetch: HubertFetch;
  /** Clock for get polling. */
  clock: Clock;
  /** Poll interval of `get`, ms. Default 1000 (ServerKv). */
  pollIntervalMs?: number;
}

/**
 * Hubert HTTP client.
 * - put: `POST /put` body `<arid>\n<envelope>[\n<ttl>]` (lowercase canonical UR text); 200 → receipt
 *   `Stored successfully`; 409 → AlreadyExistsError; anything else → HubertServerError(status, body).
 * - get: `POST /get` body `<arid>`; 200 → the envelope text (validated); 404 → poll again every
 *   `pollIntervalMs` until `timeoutSeconds` (default 30) passed → null; else HubertServerError.
 * - exists: a get with a 1-second timeout (as upstream).
 * A fetch that throws (connection refused, reset) → HubertUnavailableError.
 */
export class HubertHttpClient implements KvStore {
  readonly baseUrl: string;
  readonly #fetch: HubertFetch;
  readonly #clock: Clock;
  readonly #poll: number;

  /** @throws HubertArgumentError for a bad `pollIntervalMs` or `baseUrl`. */
  constructor(options: HubertHttpClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    try {
      new URL(this.baseUrl);
    } catch {
      throw new HubertArgumentError('baseUrl', `not a URL: ${options.baseUrl}`);
    }
    this.#fetch = options.fetch;
    this.#clock = options.clock;
    this.#poll = options.pollIntervalMs ?? SERVER_POLL_INTERVAL_MS;
    if (!Number.isFinite(this.#poll) || this.#poll <= 0)
      throw new HubertArgumentError('pollIntervalMs', `must be > 0, got ${this.#poll}`);
  }

  async #post(path: string, body: string, signal?: AbortSignal): Promise<{ status: number; text: string }> {
    signal?.throwIfAborted();
    // A per-request controller relays the caller's (often long-lived) signal: undici's Request
    // follows the signal it is given until the Request is garbage-collected, so handing it the
    // caller's signal on every poll piles up abort listeners on that signal.
    const local = signal === undefined ? undefined : new AbortController();
    const relay = (): void => local?.abort(signal?.reason);
    signal?.addEventListener('abort', relay, { once: true });
    const request = new Request(`${this.baseUrl}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      ...(local ? { signal: local.signal } : {}),
    });
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(request);
      text = await response.text();
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      throw new HubertUnavailableError(e instanceof Error ? e.message : String(e), { cause: e });
    } finally {
      signal?.removeEventListener('abort', relay);
    }
    return { status: response.status, text };
  }

  /**
   * Store `envelope` under `arid` on the server (write-once).
   * @throws InvalidAridError / InvalidEnvelopeError / HubertArgumentError before any request;
   *   AlreadyExistsError on 409; HubertServerError on other non-200; HubertUnavailableError.
   */
  async put(arid: string, envelope: string, ttlSeconds?: number): Promise<string> {
    const a = canonicalAridUr(arid);
    const e = canonicalEnvelopeUr(envelope);
    checkTtl(ttlSeconds);
    const body = ttlSeconds === undefined ? `${a}\n${e}` : `${a}\n${e}\n${ttlSeconds}`;
    const { status, text } = await this.#post('/put', body);
    if (status === 200) return 'Stored successfully';
    if (status === 409) throw new AlreadyExistsError(a);
    throw new HubertServerError(status, text);
  }

  /**
   * Poll the server until `arid` has a value or `timeoutSeconds` (default 30) passed.
   * @returns the lowercase `ur:envelope/...` text, or null at the deadline.
   * @throws InvalidAridError / HubertArgumentError; HubertParseError for a 200 body that is not an
   *   envelope; HubertServerError for a status other than 200/404; HubertUnavailableError;
   *   `signal.reason` when aborted.
   */
  async get(arid: string, options: GetOptions = {}): Promise<string | null> {
    const a = canonicalAridUr(arid);
    const timeoutMs = timeoutMsOf(options.timeoutSeconds);
    const { signal } = options;
    signal?.throwIfAborted();
    const start = this.#clock.now();
    for (;;) {
      const { status, text } = await this.#post('/get', a, signal);
      if (status === 200) {
        try {
          return canonicalEnvelopeUr(text);
        } catch (e) {
          throw new HubertParseError((e as Error).message);
        }
      }
      if (status !== 404) throw new HubertServerError(status, text);
      if (this.#clock.now() - start >= timeoutMs) return null;
      await this.#clock.sleep(this.#poll, signal);
    }
  }

  /** `get(arid, { timeoutSeconds: 1 }) !== null` (hubert-rust ServerKv::exists). Errors as {@link get}. */
  async exists(arid: string): Promise<boolean> {
    return (await this.get(arid, { timeoutSeconds: 1 })) !== null;
  }

  /**
   * `GET /health` → the parsed JSON body.
   * @throws HubertServerError for a non-200 status; HubertParseError for a non-JSON body;
   *   HubertUnavailableError when unreachable.
   */
  async health(): Promise<{ server: string; version: string; status: string }> {
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(new Request(`${this.baseUrl}/health`));
      text = await response.text();
    } catch (e) {
      throw new HubertUnavailableError(e instanceof Error ? e.message : String(e), { cause: e });
    }
    if (response.status !== 200) throw new HubertServerError(response.status, text);
    try {
      return JSON.parse(text) as { server: string; version: string; status: string };
    } catch {
      throw new HubertParseError(`health body is not JSON: ${text}`);
    }
  }
}
