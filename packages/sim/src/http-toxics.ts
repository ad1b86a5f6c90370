/**
 * Toxiproxy's connection toxics for HTTP edges (github.com/Shopify/toxiproxy, toxics/*.go), as far
 * as one request/response exchange goes:
 *
 * - `bandwidth {rateKBps}` (toxics/bandwidth.go): the response body flows at `rateKBps` KB/s
 *   (1 KB = 1000 bytes, so `rateKBps` bytes per ms), in pieces of at most 100 ms' worth.
 * - `slicer {averageBytes, variationBytes, delayMs}` (toxics/slicer.go): the body is cut into
 *   pieces of `averageBytes ± variationBytes` (drawn from the seed) with `delayMs` after each.
 *   Toxiproxy's `delay` is in microseconds; here it is ms (fractions allowed) like every plan time.
 * - `limitData {bytes}` (toxics/limit_data.go): the connection closes once `bytes` body bytes have
 *   passed; a shorter body is untouched. (Toxiproxy counts every byte; here only body bytes count,
 *   so a limit reads the same whatever the headers are.)
 * - `slowClose {delayMs}` (toxics/slow_close.go): the end of the body comes `delayMs` after its
 *   last byte (the response is sent without Content-Length, so a client reads until the end).
 * - `timeout {timeoutMs, stream}` (toxics/timeout.go): the data of `stream` is swallowed and the
 *   connection closed after `timeoutMs` (0: never closed, a black hole).
 * - `resetPeer {timeoutMs, stream}` (toxics/reset_peer.go): the data of `stream` is swallowed and
 *   the connection reset (TCP RST) after `timeoutMs` (0: at once).
 * `stream` is Toxiproxy's direction: 'upstream' swallows the request (the handler never sees it),
 * 'downstream' (default, as in Toxiproxy) swallows the response (the handler ran: an ambiguous
 * outcome for the client).
 *
 * The body toxics become a list of {@link BodyStep}s, played by the simulated fetch as a
 * ReadableStream on the virtual clock ({@link bodyStream}) and by the live HTTP edge on the real
 * socket. Sans-I/O: nothing here reads a clock of its own.
 */
import type { Clock } from '@fanout/core';
import type { Rng } from './rng.js';

/** Direction whose data a timeout or resetPeer toxic swallows. */
export type ToxicStream = 'upstream' | 'downstream';

/** The toxics that fired for one HTTP exchange (merged over rules: the strictest of each kind). */
export interface HttpToxics {
  /** KB/s (1 KB = 1000 bytes): the smallest rate of the bandwidth rules that fired. */
  bandwidthKBps?: number;
  /** The first slicer rule that fired. */
  slicer?: { averageBytes: number; variationBytes: number; delayMs: number };
  /** Body bytes after which the connection closes: the smallest limit that fired. */
  limitBytes?: number;
  /** Ms between the last body byte and the end of the body: the longest that fired. */
  slowCloseMs?: number;
  /** Swallow `stream`, close the connection after `timeoutMs` (0: never). First that fired. */
  timeout?: { timeoutMs: number; stream: ToxicStream };
  /** Swallow `stream`, reset the connection after `timeoutMs`. First that fired. */
  resetPeer?: { timeoutMs: number; stream: ToxicStream };
}

/** Whether any body-shaping toxic (bandwidth, slicer, limitData, slowClose) is set. */
export function shapesBody(t: HttpToxics | undefined): t is HttpToxics {
  return (
    t !== undefined &&
    (t.bandwidthKBps !== undefined ||
      t.slicer !== undefined ||
      t.limitBytes !== undefined ||
      t.slowCloseMs !== undefined)
  );
}

/** One step of a shaped body: wait (ms), send bytes, close the connection early, or end normally. */
export type BodyStep =
  | { readonly kind: 'wait'; readonly ms: number }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  | { readonly kind: 'cut' }
  | { readonly kind: 'end' };

/**
 * Piece sizes of a slicer: `averageBytes + d` with d uniform in [-variationBytes, variationBytes],
 * at least 1, the last piece cut to what remains. Draws one integer per piece from `rng`.
 */
export function slicerSizes(length: number, s: NonNullable<HttpToxics['slicer']>, rng: Rng): number[] {
  const out: number[] = [];
  let left = length;
  while (left > 0) {
    const v = Math.min(s.variationBytes, s.averageBytes - 1);
    const size = Math.min(left, Math.max(1, s.averageBytes + (v > 0 ? rng.int(-v, v) : 0)));
    out.push(size);
    left -= size;
  }
  return out;
}

/**
 * The steps that deliver `body` under the body toxics of `t`, decided now (the slicer's piece sizes
 * are drawn from `rng` here, so the draws do not depend on when or whether the body is read):
 * limit the bytes; cut into slicer pieces (or 100 ms bandwidth pieces); before each piece wait its
 * bandwidth time (piece bytes / rateKBps ms), after each wait the slicer delay; then `cut` when the
 * limit was reached, else wait slowCloseMs and `end`.
 */
export function bodySteps(body: Uint8Array, t: HttpToxics, rng: Rng): BodyStep[] {
  const limited = t.limitBytes !== undefined && body.length >= t.limitBytes;
  const bytes = limited ? body.subarray(0, t.limitBytes) : body;
  const rate = t.bandwidthKBps;
  let sizes: number[];
  if (t.slicer !== undefined) sizes = slicerSizes(bytes.length, t.slicer, rng);
  else if (rate !== undefined) {
    const piece = Math.max(1, Math.floor(rate * 100)); // 100 ms worth, as toxics/bandwidth.go splits
    sizes = [];
    for (let left = bytes.length; left > 0; left -= piece) sizes.push(Math.min(piece, left));
  } else sizes = bytes.length > 0 ? [bytes.length] : [];
  const steps: BodyStep[] = [];
  let at = 0;
  for (const size of sizes) {
    if (rate !== undefined) steps.push({ kind: 'wait', ms: size / rate });
    steps.push({ kind: 'bytes', bytes: bytes.slice(at, at + size) });
    at += size;
    if (t.slicer !== undefined && t.slicer.delayMs > 0) steps.push({ kind: 'wait', ms: t.slicer.delayMs });
  }
  if (limited) steps.push({ kind: 'cut' });
  else {
    if (t.slowCloseMs !== undefined && t.slowCloseMs > 0) steps.push({ kind: 'wait', ms: t.slowCloseMs });
    steps.push({ kind: 'end' });
  }
  return steps;
}

/**
 * The error a fetch body read fails with when the server closed the connection early, shaped as
 * undici's (`TypeError: terminated`, cause `other side closed` with code UND_ERR_SOCKET).
 */
export function terminatedError(): TypeError {
  const cause = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
  return new TypeError('terminated', { cause });
}

/**
 * Play `steps` on `clock` as a ReadableStream: the schedule starts at once and runs whether or not
 * anyone reads (as bytes keep arriving in a socket's receive buffer); a reader gets each piece once
 * it has arrived, then the end (`end`: the stream closes) or, after every byte that came before it,
 * the cut (`cut`: the read fails with {@link terminatedError}). `onStep` is told each non-wait step
 * as it happens (the network traces cuts and ends). Cancelling the stream stops the schedule.
 */
export function bodyStream(
  steps: readonly BodyStep[],
  clock: Clock,
  onStep?: (step: BodyStep) => void,
): ReadableStream<Uint8Array> {
  const arrived: Uint8Array[] = [];
  let final: 'end' | 'cut' | undefined;
  let wake: (() => void) | undefined;
  const stop = new AbortController();
  const play = async (): Promise<void> => {
    for (const step of steps) {
      if (step.kind === 'wait') await clock.sleep(step.ms, stop.signal);
      else {
        onStep?.(step);
        if (step.kind === 'bytes') arrived.push(step.bytes.slice());
        else final = step.kind;
      }
      wake?.();
    }
  };
  play().catch(() => undefined); // rejected only by a cancel, which ends the stream anyway
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        while (arrived.length === 0 && final === undefined)
          await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        const next = arrived.shift();
        if (next !== undefined) controller.enqueue(next);
        else if (final === 'end') controller.close();
        else controller.error(terminatedError());
      },
      cancel(reason) {
        stop.abort(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Bodies that must be played on the real socket by a live edge (see {@link shapedStepsOf}). */
const shaped = new WeakMap<Response, readonly BodyStep[]>();

/** Remember that `response`'s body is `steps` (for a live edge, which plays them on the socket). */
export function markShaped(response: Response, steps: readonly BodyStep[]): Response {
  shaped.set(response, steps);
  return response;
}

/**
 * The body steps behind a shaped response returned by `serveHttpWithFaults`, or undefined for an
 * ordinary one. A live edge plays these on its socket (closing or resetting it for real) instead
 * of piping the response's stream.
 */
export function shapedStepsOf(response: Response): readonly BodyStep[] | undefined {
  return shaped.get(response);
}
