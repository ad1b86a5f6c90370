/**
 * What a live HTTP edge does on its real connection with the outcome of `serveHttpWithFaults`:
 * transport failures become socket actions (hold open, close, TCP reset), shaped bodies
 * (bandwidth, slicer, limitData, slowClose) are written piece by piece on the socket on the
 * edge's clock, and a skewed target stamps its skewed wall time in `Date`. Shared by every live
 * HTTP server that applies a plan at its edge.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Clock } from '@fanout/core';
import type { BodyStep } from '../http-toxics.js';
import type { HttpFailure } from '../network.js';

/**
 * Act out a transport failure on `socket`: 'blackhole' holds the connection open until the client
 * closes it (resolves then); 'reset' with `rst` (resetPeer toxic) sends a TCP RST
 * (`socket.resetAndDestroy()`); 'refused', 'closed' and the older resets destroy the socket.
 */
export async function failOnSocket(out: HttpFailure, socket: Socket): Promise<void> {
  if (out.kind === 'blackhole') {
    if (socket.destroyed) return;
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
  } else if (out.kind === 'reset' && out.rst === true) socket.resetAndDestroy();
  else socket.destroy();
}

/** Write `bytes` and resolve once they are handed to the socket (or the response failed). */
const write = (res: ServerResponse, bytes: Uint8Array): Promise<void> =>
  new Promise<void>((resolve) => {
    if (res.destroyed) return resolve();
    res.write(bytes, () => resolve());
  });

/**
 * Send `response`'s status and headers, then play `steps` on the connection: 'wait' sleeps on
 * `clock`, 'bytes' writes a piece (chunked: the response has no Content-Length), 'end' ends the
 * response, 'cut' ends the connection after the bytes written so far (the client sees the body
 * break off). `onStep` is told each non-wait step. Resolves when done or when the client left.
 */
export async function playOnSocket(
  response: Response,
  steps: readonly BodyStep[],
  res: ServerResponse,
  clock: Clock,
  onStep?: (step: BodyStep) => void,
): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    if (key !== 'set-cookie' && key !== 'content-length') headers[key] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  res.writeHead(response.status, response.statusText, headers);
  res.flushHeaders();
  for (const step of steps) {
    if (res.destroyed) return;
    if (step.kind === 'wait') {
      await clock.sleep(step.ms);
      continue;
    }
    onStep?.(step);
    if (step.kind === 'bytes') await write(res, step.bytes);
    else if (step.kind === 'end') res.end();
    else res.socket?.destroySoon();
  }
}

/** `response` with `Date` set to the wall time plus `offsetMs` (a target whose clock is skewed). */
export function withSkewedDate(response: Response, offsetMs: number): Response {
  const headers = new Headers(response.headers);
  headers.set('date', new Date(Date.now() + offsetMs).toUTCString());
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
