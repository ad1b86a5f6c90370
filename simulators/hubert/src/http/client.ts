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
  HubertRequestTimeoutError,
  HubertServerError,
  HubertUnavailableError,
} from '../errors.js';
import type { GetTimeoutOrOptions, KvStore, PutOptions } from '../kv-store.js';
import { checkTtl, getOptionsOf, timeoutMsOf } from '../stores/base.js';
import { SERVER_POLL_INTERVAL_MS } from '../stores/memory.js';
import { canonicalAridUr, canonicalEnvelopeUr } from '../ur.js';

const UTF8 = new TextEncoder();

/**
 * The fetch function the client calls: `app.fetch` in-process or `globalThis.fetch` live. With
 * {@link HubertHttpClientOptions.signalInInit} it also gets the request's abort signal as
 * `init.signal` (fetch's own signature), instead of inside the Request.
 */
export type HubertFetch = (request: Request, init?: { signal?: AbortSignal }) => Response | Promise<Response>;

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
  /**
   * Per-request timeout on the injected clock, ms (> 0, or Infinity for none): a request with no
   * complete response by then is aborted and fails with {@link HubertRequestTimeoutError} (a
   * {@link HubertUnavailableError}), so retry loops recover from requests swallowed by a partition
   * or a hung server. Must exceed the server's own latency per operation. Default
   * {@link DEFAULT_REQUEST_TIMEOUT_MS}.
   */
  requestTimeoutMs?: number;
  /**
   * Hand each request's abort signal to `fetch` as `init.signal` instead of building it into the
   * Request (undici makes a Request with a signal several times slower). Only for a `fetch` that
   * honours `init.signal` as fetch does (a simulated network's fetch, `globalThis.fetch` itself);
   * default false: the signal is in the Request, for any fetch wrapper.
   */
  signalInInit?: boolean;
}

/**
 * Default per-request timeout of {@link HubertHttpClient}, ms (60 s). Upstream's reqwest client
 * sets none; a request lost in a partition would then hang its caller forever.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/**
 * Hubert HTTP client.
 * - put: `POST /put` body `<arid>\n<envelope>[\n<ttl>]` (lowercase canonical UR text); 200 → receipt
 *   `Stored successfully`; 409 → AlreadyExistsError; anything else → HubertServerError(status, body).
 * - get: `POST /get` body `<arid>`; 200 → the envelope text (validated); 404 → poll again every
 *   `pollIntervalMs` until `timeoutSeconds` (default 30) passed → null; else HubertServerError.
 * - exists: a get with a 1-second timeout (as upstream).
 * A fetch that throws (connection refused, reset) → HubertUnavailableError; a request without a
 * complete response within `requestTimeoutMs` → HubertRequestTimeoutError (also unavailable).
 */
export class HubertHttpClient implements KvStore {
  readonly baseUrl: string;
  readonly #fetch: HubertFetch;
  readonly #clock: Clock;
  readonly #poll: number;
  readonly #requestTimeoutMs: number;
  readonly #signalInInit: boolean;

  /** @throws HubertArgumentError for a bad `pollIntervalMs`, `requestTimeoutMs` or `baseUrl`. */
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
    this.#signalInInit = options.signalInInit === true;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    if (!(this.#requestTimeoutMs > 0) || Number.isNaN(this.#requestTimeoutMs))
      throw new HubertArgumentError(
        'requestTimeoutMs',
        `must be > 0 (or Infinity), got ${String(options.requestTimeoutMs)}`,
      );
  }

  async #post(path: string, body: string, signal?: AbortSignal): Promise<{ status: number; text: string }> {
    signal?.throwIfAborted();
    // A per-request controller relays the caller's (often long-lived) signal: undici's Request
    // follows the signal it is given until the Request is garbage-collected, so handing it the
    // caller's signal on every poll piles up abort listeners on that signal. It also carries the
    // per-request timeout.
    const local = new AbortController();
    const relay = (): void => local.abort(signal?.reason);
    signal?.addEventListener('abort', relay, { once: true });
    const request = new Request(`${this.baseUrl}${path}`, {
      method: 'POST',
      body: UTF8.encode(body), // the same bytes as the string; far cheaper for undici to wrap
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      ...(this.#signalInInit ? {} : { signal: local.signal }),
    });
    let timer: ReturnType<Clock['setTimer']> | undefined;
    // Settles only by rejecting: the timeout, or the caller's abort (a fetch that ignores its
    // signal, like an in-process handler, must not hold the caller).
    const cut = new Promise<never>((_, reject) => {
      if (Number.isFinite(this.#requestTimeoutMs))
        timer = this.#clock.setTimer(() => {
          const e = new HubertRequestTimeoutError(path, this.#requestTimeoutMs);
          local.abort(e);
          reject(e);
        }, this.#requestTimeoutMs);
      local.signal.addEventListener('abort', () => reject(local.signal.reason as unknown), { once: true });
    });
    cut.catch(() => {});
    let response: Response;
    let text: string;
    try {
      [response, text] = await Promise.race([
        (async (): Promise<[Response, string]> => {
          const r = await (this.#signalInInit
            ? this.#fetch(request, { signal: local.signal })
            : this.#fetch(request));
          return [r, await r.text()];
        })(),
        cut,
      ]);
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      if (e instanceof HubertRequestTimeoutError) throw e;
      throw new HubertUnavailableError(e instanceof Error ? e.message : String(e), { cause: e });
    } finally {
      if (timer !== undefined) this.#clock.clearTimer(timer);
      signal?.removeEventListener('abort', relay);
    }
    return { status: response.status, text };
  }

  /**
   * Store `envelope` under `arid` on the server (write-once).
   * @param options.signal aborts the request (rejects with `signal.reason`; stored or not is unknown).
   * @throws InvalidAridError / InvalidEnvelopeError / HubertArgumentError before any request;
   *   AlreadyExistsError on 409; HubertServerError on other non-200; HubertUnavailableError
   *   (HubertRequestTimeoutError after `requestTimeoutMs`).
   */
  async put(arid: string, envelope: string, ttlSeconds?: number, options: PutOptions = {}): Promise<string> {
    const a = canonicalAridUr(arid);
    const e = canonicalEnvelopeUr(envelope);
    checkTtl(ttlSeconds);
    const body = ttlSeconds === undefined ? `${a}\n${e}` : `${a}\n${e}\n${ttlSeconds}`;
    const { status, text } = await this.#post('/put', body, options.signal);
    if (status === 200) return 'Stored successfully';
    if (status === 409) throw new AlreadyExistsError(a);
    throw new HubertServerError(status, text);
  }

  /**
   * Poll the server until `arid` has a value or `timeoutSeconds` (default 30) passed. The second
   * argument is upstream's `timeout_seconds` as a number, or {@link GetOptions}.
   * @returns the lowercase `ur:envelope/...` text, or null at the deadline.
   * @throws InvalidAridError / HubertArgumentError; HubertParseError for a 200 body that is not an
   *   envelope; HubertServerError for a status other than 200/404; HubertUnavailableError;
   *   `signal.reason` when aborted.
   */
  async get(arid: string, timeoutOrOptions?: GetTimeoutOrOptions): Promise<string | null> {
    const a = canonicalAridUr(arid);
    const options = getOptionsOf(timeoutOrOptions);
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
