/**
 * The simulated network: in-process datagram and request/response endpoints on a {@link Clock}
 * (normally a VirtualClock), with a {@link FaultPlan} applied to every exchange.
 *
 * The same client code runs over it and over real sockets: clients see a
 * {@link DatagramTransport} or a fetch-compatible function, nothing else.
 */
import {
  addressKey,
  type Clock,
  type DatagramAddress,
  type DatagramTransport,
  type FetchHandler,
  type FetchLike,
} from '@fanout/core';
import { BufferedRequest } from './buffered-request.js';
import { BufferedResponse } from './buffered-response.js';
import { skewedClock } from './clock-faults.js';
import { FaultInjector, NO_FAULTS, type ExchangeDecision, type FaultPlan } from './fault-plan.js';
import {
  bodySteps,
  bodyStream,
  markShaped,
  shapesBody,
  type HttpToxics,
  type ToxicStream,
} from './http-toxics.js';
import type { Rng } from './rng.js';

/** Where the network reports what happens (a {@link Trace} satisfies it). */
export interface TraceSink {
  /** false: the sink records nothing (a disabled Trace), so the network builds no event for it. */
  readonly enabled?: boolean;
  record(event: { t: number; kind: string } & Record<string, unknown>): void;
}

/** A datagram server as the network sees it: a pure handler plus optional fault hooks. */
export interface DatagramService {
  /** Handle one datagram; return the reply (or null for none). */
  handle(request: Uint8Array, from: DatagramAddress): Uint8Array | null | Promise<Uint8Array | null>;
  /** Reply for a forceStatus fault (e.g. a RAIDA error header); null/absent: the request is dropped. */
  forcedReply?(request: Uint8Array, status: number, message?: string): Uint8Array | null;
  /** Rewrite a reply so it claims to come from target `as` (wrongSender fault); absent: reply unchanged. */
  spoofSender?(reply: Uint8Array, as: string): Uint8Array;
  /** The target crashed and lost its volatile state (crash fault with loseState). */
  onCrashLoseState?(): void;
}

/** Options of {@link SimNetwork}. */
export interface SimNetworkOptions {
  clock: Clock;
  /** Root stream; the network forks "faults:<target>" streams from it. */
  rng: Rng;
  plan?: FaultPlan;
  trace?: TraceSink;
}

interface DatagramEndpoint {
  target: string;
  service: DatagramService;
  lastSeenT: number;
}

interface HttpEndpoint {
  target: string;
  handler: FetchHandler;
  lastSeenT: number;
  onCrashLoseState: (() => void) | undefined;
}

/** Counters kept by the network. */
export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  replies: number;
}

const hex = (b: Uint8Array, max = 64): string => Buffer.from(b.subarray(0, max)).toString('hex');

/**
 * Crash with state loss, applied lazily when a target is next reached: for every crash rule of
 * `target` with `loseState` whose `atMs` lies in (ep.lastSeenT, t], call `wipe` once and record a
 * 'fault' event {target, fault: 'crash-lose-state', atMs}. Then ep.lastSeenT := t. Shared by the
 * simulated network and the live edges, so both tiers lose the same state at the same plan time.
 * @param t ms since the run started (the plan's time base)
 */
export function wipeOnCrash(
  injector: FaultInjector,
  target: string,
  ep: { lastSeenT: number },
  t: number,
  wipe: (() => void) | undefined,
  record: (kind: string, fields: Record<string, unknown>) => void,
): void {
  if (wipe !== undefined) {
    for (const c of injector.crashesOf(target)) {
      if (c.loseState && c.atMs > ep.lastSeenT && c.atMs <= t) {
        wipe();
        record('fault', { target, fault: 'crash-lose-state', atMs: c.atMs });
      }
    }
  }
  ep.lastSeenT = Math.max(ep.lastSeenT, t);
}

/** Everything {@link serveDatagramWithFaults} needs; shared by the simulated network and the live UDP edge. */
export interface DatagramExchange {
  clock: Clock;
  injector: FaultInjector;
  target: string;
  service: DatagramService;
  request: Uint8Array;
  from: DatagramAddress;
  /** Ms since the run started when the request was sent. */
  t: number;
  /**
   * The plan target that sent the request, when the sender is one (a DHT node serves and sends
   * on one address); undefined for a client. Only `linkPartition` rules look at it.
   */
  source?: string | undefined;
  elapsed: () => number;
  record: (kind: string, fields: Record<string, unknown>) => void;
  stats: NetworkStats;
  /** Called at delivery time, before the crash check (the network wipes volatile state here). */
  beforeHandle?: (t: number) => void;
  /** Put one reply datagram on the wire to the sender. */
  sendReply: (payload: Uint8Array) => void;
}

/**
 * One datagram exchange under the fault plan: decide, hold + latency/2, handle (or forced reply),
 * damage/duplicate the reply, latency/2 + extra, send. Timers come from `clock` only.
 */
export function serveDatagramWithFaults(x: DatagramExchange): void {
  const d = x.injector.decide(x.target, x.t, x.source);
  x.record('send', {
    to: x.target,
    bytes: x.request.length,
    head: hex(x.request, 32),
    latencyMs: d.latencyMs,
  });
  if (d.fired.length > 0) x.record('fault', { target: x.target, fired: d.fired });
  if (d.unreachable !== undefined || d.dropRequest || d.holdMs === Infinity) {
    x.stats.dropped++;
    x.record('drop', { to: x.target, reason: d.unreachable ?? (d.dropRequest ? 'dropRequest' : 'paused') });
    return;
  }
  if (d.requestLost !== undefined) {
    x.stats.dropped++;
    x.record('drop', {
      to: x.target,
      reason: d.requestLost,
      ...(x.source === undefined ? {} : { from: x.source }),
    });
    return;
  }
  // holdMs: pause windows and swizzle clogs (the request leaves when the target unclogs).
  x.clock.setTimer(() => void deliver(x, d), d.holdMs + d.latencyMs / 2);
}

/** Extra ms a reply leaving `target` at plan time `t` waits for a swizzle-clog to end (0: none). */
function replyClogMs(injector: FaultInjector, target: string, t: number): number {
  const until = injector.clogUntil(target, t);
  return until === undefined ? 0 : until - t;
}

async function deliver(x: DatagramExchange, d: ExchangeDecision): Promise<void> {
  const t = x.elapsed();
  x.beforeHandle?.(t);
  if (x.injector.crashState(x.target, t).down) {
    x.stats.dropped++;
    x.record('drop', { to: x.target, reason: 'crashed' });
    return;
  }
  x.stats.delivered++;
  x.record('deliver', { to: x.target, bytes: x.request.length });
  let reply: Uint8Array | null;
  if (d.forceStatus !== undefined) {
    reply = x.service.forcedReply?.(x.request, d.forceStatus.status, d.forceStatus.message) ?? null;
  } else {
    try {
      reply = await x.service.handle(x.request, x.from);
    } catch (error) {
      // A simulator bug must show up in the trace, not take the network down.
      x.record('note', { target: x.target, error: String(error) });
      reply = null;
    }
  }
  if (reply === null) return;
  if (d.dropReply) {
    x.stats.dropped++;
    x.record('drop', { from: x.target, reason: 'dropReply' });
    return;
  }
  if (d.replyLost !== undefined) {
    x.stats.dropped++;
    x.record('drop', {
      from: x.target,
      reason: d.replyLost,
      ...(x.source === undefined ? {} : { to: x.source }),
    });
    return;
  }
  let out = reply;
  if (d.truncateTo !== undefined) out = out.slice(0, d.truncateTo);
  if (d.corruptBytes > 0) out = x.injector.corrupt(x.target, out, d.corruptBytes);
  if (d.wrongSender !== undefined && x.service.spoofSender !== undefined)
    out = x.service.spoofSender(out, d.wrongSender);
  const copies = 1 + (d.duplicates?.copies ?? 0);
  const delay = d.latencyMs / 2 + d.extraReplyMs + replyClogMs(x.injector, x.target, x.elapsed());
  for (let i = 0; i < copies; i++) {
    const payload = out;
    x.clock.setTimer(
      () => {
        x.record('reply', { from: x.target, bytes: payload.length, head: hex(payload, 32), copy: i });
        x.sendReply(payload);
      },
      delay + i * (d.duplicates?.gapMs ?? 0),
    );
  }
}

/** Everything {@link serveHttpWithFaults} needs; shared by the simulated network and the live HTTP edge. */
export interface HttpExchange {
  clock: Clock;
  injector: FaultInjector;
  target: string;
  handler: FetchHandler;
  request: Request;
  signal: AbortSignal | undefined;
  t: number;
  /** The plan target that sent the request, if any (see {@link DatagramExchange.source}). */
  source?: string | undefined;
  elapsed: () => number;
  record: (kind: string, fields: Record<string, unknown>) => void;
  stats: NetworkStats;
  beforeHandle?: (t: number) => void;
  /**
   * The caller plays shaped bodies (bandwidth, slicer, limitData, slowClose) on its own socket:
   * a shaped reply then comes back with no body, its steps kept for {@link shapedStepsOf}, instead
   * of a stream played on `clock`. Live edges set it; the simulated fetch does not.
   */
  bodyOnSocket?: boolean;
  /**
   * `request` may be handed to the handler as it is: its signal follows `signal` and nobody has
   * read its body. The simulated fetch sets it for the Requests it builds; without it the handler
   * gets a copy (method, headers, body read here, `signal`).
   */
  handOver?: boolean;
}

/** How an HTTP exchange failed at the transport level. */
export type HttpFailure =
  | { kind: 'refused'; why: string } // connection refused (crashed target)
  | { kind: 'blackhole'; why: string } // no answer ever (partition, dropped request, paused forever)
  // connection reset (dropped reply, handler blew up); `rst`: a real TCP RST (resetPeer toxic)
  | { kind: 'reset'; why: string; rst?: boolean }
  | { kind: 'closed'; why: string }; // closed without an answer (timeout toxic)

/**
 * The timeout / resetPeer toxic that swallows `stream`, if any: the one that ends first (a
 * timeout of 0 never ends; on a tie the reset wins).
 */
function swallowing(
  t: HttpToxics | undefined,
  stream: ToxicStream,
): { kind: 'timeout' | 'resetPeer'; timeoutMs: number } | undefined {
  const reset = t?.resetPeer?.stream === stream ? t.resetPeer.timeoutMs : undefined;
  const close = t?.timeout?.stream === stream ? t.timeout.timeoutMs || Infinity : undefined;
  if (reset !== undefined && (close === undefined || reset <= close))
    return { kind: 'resetPeer', timeoutMs: reset };
  return close === undefined ? undefined : { kind: 'timeout', timeoutMs: close };
}

/**
 * A timeout / resetPeer toxic swallowed the request (upstream) or the reply (downstream): record
 * it, wait `timeoutMs` plus the way back (latency/2), then fail as a close or a TCP reset. A
 * timeout of 0 (Infinity here) never closes: a black hole.
 */
async function swallow(
  x: HttpExchange,
  d: ExchangeDecision,
  toxic: { kind: 'timeout' | 'resetPeer'; timeoutMs: number },
  stream: ToxicStream,
): Promise<HttpFailure> {
  x.stats.dropped++;
  const who = stream === 'upstream' ? { to: x.target } : { from: x.target };
  x.record('drop', { ...who, reason: toxic.kind, stream });
  if (toxic.timeoutMs === Infinity) return { kind: 'blackhole', why: `timeout toxic (${stream})` };
  await x.clock.sleep(toxic.timeoutMs + d.latencyMs / 2, x.signal);
  return toxic.kind === 'timeout'
    ? { kind: 'closed', why: `connection closed by the timeout toxic after ${toxic.timeoutMs} ms` }
    : { kind: 'reset', why: `connection reset by peer after ${toxic.timeoutMs} ms (resetPeer)`, rst: true };
}

/**
 * One HTTP exchange under the fault plan. Returns the (possibly damaged) Response, or how the
 * transport failed. Sleeps on `clock` for hold + latency/2 before the handler and latency/2 + extra after.
 * Rejects with `signal.reason` when the signal aborts during a sleep.
 */
export async function serveHttpWithFaults(x: HttpExchange): Promise<Response | HttpFailure> {
  const { request, signal } = x;
  const path = new URL(request.url).pathname;
  const d = x.injector.decide(x.target, x.t, x.source);
  x.record('send', { to: x.target, method: request.method, path, latencyMs: d.latencyMs });
  if (d.fired.length > 0) x.record('fault', { target: x.target, fired: d.fired });
  if (d.unreachable === 'partition' || d.dropRequest || d.holdMs === Infinity) {
    x.stats.dropped++;
    const why = d.unreachable ?? (d.dropRequest ? 'dropRequest' : 'paused');
    x.record('drop', { to: x.target, reason: why });
    return { kind: 'blackhole', why };
  }
  if (d.requestLost !== undefined) {
    // A lost request leg of a TCP exchange: nothing ever comes back (only the client's timeout ends it).
    x.stats.dropped++;
    x.record('drop', {
      to: x.target,
      reason: d.requestLost,
      ...(x.source === undefined ? {} : { from: x.source }),
    });
    return { kind: 'blackhole', why: d.requestLost };
  }
  const handOver = x.handOver === true;
  const body =
    handOver || request.method === 'GET' || request.method === 'HEAD'
      ? undefined
      : new Uint8Array(await request.arrayBuffer());
  await x.clock.sleep(d.holdMs + d.latencyMs / 2, signal);
  const tArrive = x.elapsed();
  x.beforeHandle?.(tArrive);
  if (d.unreachable === 'crashed' || x.injector.crashState(x.target, tArrive).down) {
    x.stats.dropped++;
    x.record('drop', { to: x.target, reason: 'crashed' });
    return { kind: 'refused', why: `ECONNREFUSED ${x.target} (crashed)` };
  }
  const upstream = swallowing(d.toxics, 'upstream');
  if (upstream !== undefined) return swallow(x, d, upstream, 'upstream');
  x.stats.delivered++;
  x.record('deliver', { to: x.target, method: request.method, path });
  let response: Response;
  if (d.forceStatus !== undefined) {
    response = new Response(d.forceStatus.message ?? '', { status: d.forceStatus.status });
  } else {
    const inner = handOver
      ? request
      : new Request(request.url, { method: request.method, headers: request.headers, body, signal });
    try {
      response = await x.handler(inner);
    } catch (error) {
      x.record('note', { target: x.target, error: String(error) });
      return { kind: 'reset', why: `handler failed: ${String(error)}` };
    }
  }
  // A reply no fault rewrites, whose length the handler declared, goes to the client as the
  // handler made it: one Response and one body read fewer per exchange (each Response body is a
  // ReadableStream; in Node 20 making one is costly). The trace records its Content-Length.
  const declared = passThroughLength(request, response, d);
  let bytes = declared === undefined ? new Uint8Array(await response.arrayBuffer()) : undefined;
  if (d.dropReply) {
    await x.clock.sleep(d.latencyMs / 2, signal);
    x.stats.dropped++;
    x.record('drop', { from: x.target, reason: 'dropReply' });
    return { kind: 'reset', why: 'connection reset after the request was processed' };
  }
  if (d.replyLost !== undefined) {
    x.stats.dropped++;
    x.record('drop', {
      from: x.target,
      reason: d.replyLost,
      ...(x.source === undefined ? {} : { to: x.source }),
    });
    return { kind: 'blackhole', why: d.replyLost };
  }
  const downstream = swallowing(d.toxics, 'downstream');
  if (downstream !== undefined) return swallow(x, d, downstream, 'downstream');
  const clogMs = replyClogMs(x.injector, x.target, x.elapsed());
  if (bytes === undefined) {
    await x.clock.sleep(d.latencyMs / 2 + d.extraReplyMs + clogMs, signal);
    x.stats.replies++;
    x.record('reply', { from: x.target, status: response.status, bytes: declared });
    return response;
  }
  if (d.truncateTo !== undefined) bytes = bytes.slice(0, d.truncateTo);
  if (d.corruptBytes > 0)
    bytes = x.injector.corrupt(x.target, bytes, d.corruptBytes) as Uint8Array<ArrayBuffer>;
  await x.clock.sleep(d.latencyMs / 2 + d.extraReplyMs + clogMs, signal);
  x.stats.replies++;
  x.record('reply', { from: x.target, status: response.status, bytes: bytes.length });
  const noBody = response.status === 204 || response.status === 304 || request.method === 'HEAD';
  if (!noBody && shapesBody(d.toxics)) return shapedResponse(x, response, bytes, d.toxics);
  return new Response(noBody ? null : bytes, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/**
 * The body length of a reply that can go to the client as the handler made it, or undefined
 * when it must be read and rebuilt: it has a body (not 204 / 304 / a HEAD reply), a
 * Content-Length of decimal digits, a body nobody has read, and no fault of the exchange rewrites or
 * shapes it (truncate, corrupt, body toxics). The length is taken as declared: a handler whose
 * Content-Length is wrong has the wrong length in the trace (its client reads the body it made).
 */
function passThroughLength(request: Request, response: Response, d: ExchangeDecision): number | undefined {
  if (d.truncateTo !== undefined || d.corruptBytes > 0 || shapesBody(d.toxics)) return undefined;
  if (response.status === 204 || response.status === 304 || request.method === 'HEAD') return undefined;
  // A BufferedResponse holds its body: asking it for \`body\` would build the stream it saves.
  if (response instanceof BufferedResponse ? response.bodyUsed : response.body === null || response.bodyUsed)
    return undefined;
  const length = response.headers.get('content-length');
  return length !== null && /^\d{1,15}$/.test(length) ? Number(length) : undefined;
}

/**
 * The reply with its body played under the body toxics (bandwidth, slicer, limitData, slowClose)
 * as a stream on the exchange's clock, without Content-Length (the client reads to the end).
 * The steps are decided now (slicer sizes from the target's "faults+" stream) and remembered with
 * {@link markShaped} so a live edge can play them on its socket instead.
 */
function shapedResponse(x: HttpExchange, response: Response, bytes: Uint8Array, t: HttpToxics): Response {
  const steps = bodySteps(bytes, t, x.injector.newKindStream(x.target));
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  const init = { status: response.status, statusText: response.statusText, headers };
  if (x.bodyOnSocket === true) return markShaped(new Response(null, init), steps);
  const stream = bodyStream(steps, x.clock, (step) => {
    if (step.kind === 'cut') x.record('drop', { from: x.target, reason: 'limitData', bytes: t.limitBytes });
    if (step.kind === 'end' && t.slowCloseMs !== undefined)
      x.record('note', { from: x.target, slowClose: 'end' });
  });
  return markShaped(new Response(stream, init), steps);
}

/**
 * What a simulated fetch failure carries as its `cause`, shaped as undici's: a close is
 * `other side closed` (code UND_ERR_SOCKET), a TCP reset `read ECONNRESET` (code ECONNRESET); the
 * older failures an Error with the reason text.
 */
function failureCause(out: HttpFailure): Error {
  if (out.kind === 'closed') return Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
  if (out.kind === 'reset' && out.rst === true)
    return Object.assign(new Error(`read ECONNRESET (${out.why})`), { code: 'ECONNRESET' });
  return new Error(out.why);
}

/**
 * In-process network. Time starts at the clock's time when the network is created; fault-plan
 * windows are relative to that.
 *
 * Exchange model: a request reaches its target after holdMs (pause) + latency/2; the reply
 * reaches the sender latency/2 + extraReplyMs (delay, reorder) later. Drops, partitions and
 * crashes lose the message; corrupt/truncate/wrongSender alter the reply; duplicateReply sends
 * extra copies; link partitions and burst loss lose one leg; swizzle clogs hold both legs; HTTP
 * toxics shape or cut the connection. Every step is recorded in the trace with its virtual time.
 * {@link clockFor} gives a target's skewed clock (clockSkew / clockStrobe).
 */
export class SimNetwork {
  readonly clock: Clock;
  readonly injector: FaultInjector;
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, replies: 0 };
  readonly #t0: number;
  readonly #trace: TraceSink | undefined;
  readonly #datagram = new Map<string, DatagramEndpoint>();
  readonly #sockets = new Map<string, Set<(bytes: Uint8Array, from: DatagramAddress) => void>>();
  readonly #http = new Map<string, HttpEndpoint>();
  #nextPort = 40000;

  constructor(options: SimNetworkOptions) {
    this.clock = options.clock;
    this.#t0 = options.clock.now();
    // A disabled Trace records nothing: drop it, so no event is even built (baseline twins).
    this.#trace = options.trace?.enabled === false ? undefined : options.trace;
    this.injector = new FaultInjector(options.plan ?? NO_FAULTS, options.rng);
  }

  /** Ms since the network was created (the time base of fault windows). */
  elapsed(): number {
    return this.clock.now() - this.#t0;
  }

  /**
   * One trace event: `fields` is a fresh object of the caller's, which gets `t` and `kind` (no
   * copy per event; the trace renders it at once). Every call site passes a literal.
   */
  #record(kind: string, fields: Record<string, unknown>): void {
    const trace = this.#trace;
    if (trace === undefined) return;
    fields['t'] = this.elapsed();
    fields['kind'] = kind;
    trace.record(fields as { t: number; kind: string });
  }

  /**
   * The clock `target` believes in: the network's clock, with `now()` moved by the plan's
   * clockSkew / clockStrobe rules for `target` (plan time counted from this network's creation);
   * timers unchanged. Give it to a simulator where it reads the time of day (TTL expiry,
   * created_at); with no clock rule it reads exactly as the network's clock.
   */
  clockFor(target: string): Clock {
    return skewedClock({ clock: this.clock, offsets: this.injector, target, startedAt: this.#t0 });
  }

  #crashCheck(target: string, ep: { lastSeenT: number }, t: number, wipe: (() => void) | undefined): void {
    wipeOnCrash(this.injector, target, ep, t, wipe, (k, f) => this.#record(k, f));
  }

  // ---- datagrams ------------------------------------------------------------------------------

  /**
   * Serve datagrams at `address` as target `target` (the id fault rules name).
   * @throws Error when the address is already bound.
   */
  bindDatagram(address: DatagramAddress, target: string, service: DatagramService): void {
    const key = addressKey(address);
    if (this.#datagram.has(key)) throw new Error(`SimNetwork: ${key} is already bound`);
    this.#datagram.set(key, { target, service, lastSeenT: -1 });
  }

  /** Remove a datagram binding (later datagrams to it are dropped as 'no-route'). */
  unbindDatagram(address: DatagramAddress): void {
    this.#datagram.delete(addressKey(address));
  }

  /**
   * A client-side datagram socket on a fresh simulated port of `host`.
   * @returns a {@link DatagramTransport} (its address is `transport.address`).
   */
  openDatagram(host = '127.0.0.1'): DatagramTransport & { readonly address: DatagramAddress } {
    const address: DatagramAddress = { host, port: this.#nextPort++ };
    const key = addressKey(address);
    const listeners = new Set<(bytes: Uint8Array, from: DatagramAddress) => void>();
    this.#sockets.set(key, listeners);
    let closed = false;
    return {
      address,
      send: (to, bytes) => {
        if (closed) throw new Error('SimNetwork: send on a closed socket');
        this.#sendDatagram(address, to, bytes.slice());
      },
      onMessage: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      close: async () => {
        closed = true;
        listeners.clear();
        this.#sockets.delete(key);
      },
    };
  }

  #sendDatagram(from: DatagramAddress, to: DatagramAddress, bytes: Uint8Array): void {
    this.stats.sent++;
    const ep = this.#datagram.get(addressKey(to));
    if (ep === undefined) {
      this.stats.dropped++;
      this.#record('drop', {
        from: addressKey(from),
        to: addressKey(to),
        reason: 'no-route',
        bytes: bytes.length,
      });
      return;
    }
    const toKey = addressKey(from);
    // A sender bound as a service (a DHT node serves and sends on one address) is that target.
    const source = this.#datagram.get(toKey)?.target;
    serveDatagramWithFaults({
      clock: this.clock,
      injector: this.injector,
      target: ep.target,
      service: ep.service,
      request: bytes,
      from,
      t: this.elapsed(),
      source,
      elapsed: () => this.elapsed(),
      record: (kind, fields) => this.#record(kind, fields),
      stats: this.stats,
      beforeHandle: (t) => this.#crashCheck(ep.target, ep, t, ep.service.onCrashLoseState?.bind(ep.service)),
      sendReply: (payload) => {
        const listeners = this.#sockets.get(toKey);
        if (listeners === undefined) return;
        this.stats.replies++;
        // The reply comes from the address the request was sent to (as a UDP reply does), so a
        // client can check its source.
        for (const l of [...listeners]) l(payload.slice(), to);
      },
    });
  }

  // ---- request/response (HTTP) -----------------------------------------------------------------

  /**
   * Serve HTTP for `origin` (e.g. "http://127.0.0.1:8200") as target `target` with a fetch handler.
   * @throws Error when the origin is already bound.
   */
  bindHttp(origin: string, target: string, handler: FetchHandler, onCrashLoseState?: () => void): void {
    const key = new URL(origin).origin;
    if (this.#http.has(key)) throw new Error(`SimNetwork: ${key} is already bound`);
    this.#http.set(key, { target, handler, lastSeenT: -1, onCrashLoseState });
  }

  /**
   * A fetch-compatible function routed to the bound HTTP handlers with the plan applied.
   * Fault mapping: crashed or unbound → `TypeError('fetch failed')` after latency/2 (connection refused);
   * partition or dropRequest → no answer until `init.signal` aborts (black hole);
   * dropReply → the handler runs, the client gets `TypeError('fetch failed')` (ambiguous outcome);
   * pause → held until the window ends; forceStatus → that status without calling the handler;
   * delay/reorder → later reply; corrupt/truncate → damaged body. Aborts reject with `signal.reason`.
   * Newer kinds: a linkPartition or burstLoss on either leg → black hole; swizzleClog → held until
   * the target unclogs (both legs); timeout → closed (cause code UND_ERR_SOCKET) after timeoutMs,
   * black hole for 0; resetPeer → reset (cause code ECONNRESET) after timeoutMs; bandwidth, slicer,
   * limitData, slowClose → the body streams on the clock (limitData ends it with
   * `TypeError('terminated')`). The sender is a client; {@link fetchFrom} names a target sender.
   */
  readonly fetch: FetchLike = (input, init) => this.#fetch(input, init, undefined);

  /**
   * The {@link fetch} of a sender that is itself plan target `source` (a node calling another):
   * `linkPartition` rules between `source` and the called target apply to its exchanges.
   */
  fetchFrom(source: string): FetchLike {
    return (input, init) => this.#fetch(input, init, source);
  }

  async #fetch(
    input: Parameters<FetchLike>[0],
    init: Parameters<FetchLike>[1],
    source: string | undefined,
  ): Promise<Response> {
    const built = !(input instanceof Request);
    // A body given whole (a string or bytes) is held, not streamed: buffered-request.ts.
    const request = built ? BufferedRequest.from(input, init) : input;
    const signal = init?.signal ?? request.signal;
    const origin = new URL(request.url).origin;
    const ep = this.#http.get(origin);
    this.stats.sent++;
    if (ep === undefined) {
      this.stats.dropped++;
      this.#record('drop', {
        to: origin,
        reason: 'no-route',
        method: request.method,
        path: new URL(request.url).pathname,
      });
      throw new TypeError('fetch failed', { cause: new Error(`ECONNREFUSED ${origin}`) });
    }
    const out = await serveHttpWithFaults({
      clock: this.clock,
      injector: this.injector,
      target: ep.target,
      handler: ep.handler,
      request,
      signal: signal ?? undefined,
      t: this.elapsed(),
      source,
      elapsed: () => this.elapsed(),
      record: (kind, fields) => this.#record(kind, fields),
      stats: this.stats,
      beforeHandle: (t) => this.#crashCheck(ep.target, ep, t, ep.onCrashLoseState),
      // A Request built here from (input, init) follows init.signal; a caller's own one only
      // when init names no other signal.
      handOver: !request.bodyUsed && (built || init?.signal === undefined || init.signal === request.signal),
    });
    if (out instanceof Response) return out;
    if (out.kind === 'blackhole') {
      await new Promise<void>((_, reject) => {
        if (signal?.aborted) reject(signal.reason);
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    }
    throw new TypeError('fetch failed', { cause: failureCause(out) });
  }
}
