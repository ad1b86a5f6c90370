import {
  buildRequest,
  decodeResponse,
  encodeDetectPayload,
  encodeFindPayload,
  encodeFixPayload,
  encodeGetTicketPayload,
  encodePownPayload,
  type CommandName,
  type FixPayload,
  type PownItem,
  type RaidaResponse,
  type Token,
} from '@fanout/raida';
import type { RandomBytes } from '@fanout/core';
import { expect } from 'vitest';

import type { RaidaServer } from '../src/index.js';

/** Sends `payload` as command `name` to `server` and decodes the reply (asserting one came back with matching echo/signature). */
export function call(
  server: RaidaServer,
  name: CommandName,
  payload: Uint8Array,
  rng: RandomBytes,
  now = 0,
  echo = 0x4242,
): RaidaResponse {
  const req = buildRequest(name, payload, { raidaId: server.id, echo, rng });
  const bytes = server.handle(req.bytes, now);
  expect(bytes).not.toBeNull();
  const res = decodeResponse(bytes as Uint8Array);
  expect(res.raidaId).toBe(server.id);
  expect(res.echo).toBe(echo);
  expect(res.signature).toEqual(req.signature);
  return res;
}

export const detect = (s: RaidaServer, tokens: readonly Token[], rng: RandomBytes) =>
  call(s, 'detect', encodeDetectPayload(tokens), rng);
export const pown = (s: RaidaServer, items: readonly PownItem[], rng: RandomBytes) =>
  call(s, 'pown', encodePownPayload(items), rng);
export const find = (s: RaidaServer, items: readonly PownItem[], rng: RandomBytes) =>
  call(s, 'find', encodeFindPayload(items), rng);
export const getTicket = (s: RaidaServer, tokens: readonly Token[], rng: RandomBytes, now = 0) =>
  call(s, 'getTicket', encodeGetTicketPayload(tokens), rng, now);
export const fix = (s: RaidaServer, f: FixPayload, rng: RandomBytes, now = 0) =>
  call(s, 'fix', encodeFixPayload(f), rng, now);
