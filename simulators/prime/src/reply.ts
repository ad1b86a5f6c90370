/**
 * JSON replies of the Prime apps (trainer and coordinator), with the same headers in simulation as
 * on the live tier.
 *
 * Live, the apps are served by @hono/node-server, which sends a buffered body with its
 * Content-Length (`responseViaCache` in its listener.js: `Buffer.byteLength` of a string body).
 * `c.json` builds a Response without one, so a reply served on a SimNetwork origin had no
 * Content-Length where the same reply on 127.0.0.1 has it. Declaring it here makes both tiers send
 * the same headers. It also lets the simulated network hand the reply to the client unread
 * (packages/sim network.ts, `passThroughLength`), and as a BufferedResponse (@fanout/sim) the client
 * reads it without building a body stream.
 */
import { BufferedResponse } from '@fanout/sim';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * `value` as a JSON reply: `JSON.stringify(value)` as the body, `Content-Type: application/json`
 * (as `c.json` sets it), and `Content-Length` = the body's UTF-8 length in bytes.
 * @param status HTTP status with a body (default 200).
 * @throws TypeError from JSON.stringify for a cyclic value or a BigInt (as `c.json` would).
 */
export function jsonReply(value: object, status: ContentfulStatusCode = 200): Response {
  const text = JSON.stringify(value);
  return new BufferedResponse(text, {
    status,
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) },
  });
}
