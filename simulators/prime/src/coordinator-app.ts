/**
 * The coordinator's HTTP API (hono), served live by startCoordinatorServer and, in simulation,
 * on a SimNetwork origin (bindCoordinator):
 *
 * | route                         | auth  | answer                                                     |
 * |-------------------------------|-------|------------------------------------------------------------|
 * | GET  /status                  | —     | CoordinatorStatus                                          |
 * | GET  /nodes                   | —     | NodeView[]                                                 |
 * | POST /nodes                   | token | register (NodeInput) → 201 new / 200 known, the NodeView   |
 * | POST /rounds                  | token | run a round (RoundOptions minus signal) → RoundReportJson  |
 * | GET  /rounds/:round           | —     | RoundReportJson of a round this instance decided (404 else) |
 * | GET  /rounds/:round/progress  | —     | RoundProgress (404 for a round never started)              |
 * | GET  /ledger                  | —     | LedgerEntry[]                                              |
 * | GET  /metrics                 | —     | Prometheus text exposition (the coordinator's own registry) |
 *
 * "token" = `Authorization: Bearer <registrationToken>` when one is configured (401 otherwise).
 * Bad input → 400 `{error, field}`; a round that cannot start → 409 `{error, reason}`; the server
 * keeps serving after any of them.
 */
import type { Coordinator } from '@fanout/prime';
import {
  PrimeInputError,
  RoundStartError,
  UnknownRoundError,
  roundReportToJson,
  type RoundOptions,
} from '@fanout/prime';
import { Hono, type Context } from 'hono';
import { jsonReply } from './reply.js';

/** Options of {@link createCoordinatorApp}. */
export interface CoordinatorAppOptions {
  /** Bearer token required to register nodes and start rounds. Default: none (open). */
  readonly registrationToken?: string;
}

async function jsonBody(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new PrimeInputError('body', [{ path: 'body', message: 'not valid JSON' }]);
  }
}

function roundParam(c: Context): number {
  const raw = c.req.param('round') ?? '';
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n))
    throw new PrimeInputError('round', [{ path: 'round', message: `not a round number: ${raw}` }]);
  return n;
}

/**
 * Build the API over `coordinator` (see the module docstring).
 * @returns a Hono app; serve `app.fetch`.
 */
export function createCoordinatorApp(coordinator: Coordinator, options: CoordinatorAppOptions = {}): Hono {
  const app = new Hono();
  const authorised = (c: Context): boolean =>
    options.registrationToken === undefined ||
    c.req.header('authorization') === `Bearer ${options.registrationToken}`;

  app.get('/status', () => jsonReply(coordinator.getStatus()));
  app.get('/nodes', () => jsonReply(coordinator.listNodes()));
  app.post('/nodes', async (c) => {
    if (!authorised(c)) return jsonReply({ error: 'unauthorized' }, 401);
    const body = await jsonBody(c);
    const id = typeof body === 'object' && body !== null ? (body as { nodeId?: unknown }).nodeId : undefined;
    const known = typeof id === 'string' && coordinator.getNode(id) !== undefined;
    const view = await coordinator.addNode(body);
    return jsonReply(view, known ? 200 : 201);
  });
  app.post('/rounds', async (c) => {
    if (!authorised(c)) return jsonReply({ error: 'unauthorized' }, 401);
    const body = (await jsonBody(c)) ?? {};
    if (typeof body !== 'object' || Array.isArray(body) || 'signal' in body)
      throw new PrimeInputError('round', [{ path: 'round', message: 'expected an object of round options' }]);
    return jsonReply(roundReportToJson(await coordinator.runRound(body as RoundOptions)));
  });
  app.get('/rounds/:round/progress', (c) => jsonReply(coordinator.getRoundProgress(roundParam(c))));
  app.get('/rounds/:round', (c) => {
    const r = coordinator.getRoundReport(roundParam(c));
    return r === undefined
      ? jsonReply({ error: 'no report for this round here' }, 404)
      : jsonReply(roundReportToJson(r));
  });
  app.get('/ledger', () => jsonReply(coordinator.ledger.entries));
  app.get('/metrics', async (c) =>
    c.body(await coordinator.metrics.text(), 200, { 'content-type': coordinator.metrics.contentType }),
  );
  app.onError((error) => {
    if (error instanceof PrimeInputError) return jsonReply({ error: error.message, field: error.field }, 400);
    if (error instanceof UnknownRoundError)
      return jsonReply({ error: error.message, field: error.field }, 404);
    if (error instanceof RoundStartError)
      return jsonReply({ error: error.message, reason: error.reason }, 409);
    return jsonReply({ error: error.message }, 500);
  });
  return app;
}
