/**
 * How the coordinator talks to trainers: one small interface, so the same coordinator code runs
 * over the simulated network (SimNetwork.fetch, virtual time) and over real HTTP (global fetch /
 * undici), or over anything else a caller brings (an in-process map of trainers in a unit test).
 *
 * Trainer HTTP API (served by @fanout/sim-prime):
 * - `POST {endpoint}/train` with a {@link TrainingTask} as JSON → 200 with a ModelUpdate as JSON;
 * - `GET {endpoint}/heartbeat` → 200 `{"nodeId": "...", "status": "ok"}`.
 * Both take `Authorization: Bearer <token>` when the trainer was started with one.
 */
import type { FetchLike } from '@fanout/core';
import { z } from 'zod';
import type { NodeView } from './registry.js';
import type { TrainingTask } from './update.js';

/** What a trainer says to a heartbeat. */
export interface HeartbeatReply {
  readonly nodeId: string;
  readonly status: 'ok' | 'busy';
}

/** The coordinator's only way to reach trainers. Every call must end when `signal` aborts. */
export interface TrainerTransport {
  /**
   * Send `task` to `node` and return what it answered, unparsed (the coordinator validates it).
   * Throw for a transport failure (refused, reset, non-2xx, not JSON).
   */
  train(node: NodeView, task: TrainingTask, ctx: { signal: AbortSignal }): Promise<unknown>;
  /** Ask `node` whether it is alive. Throw when it does not answer properly. */
  heartbeat(node: NodeView, ctx: { signal: AbortSignal }): Promise<HeartbeatReply>;
}

/** A trainer answered with an HTTP error status, or the node has no endpoint. */
export class TrainerHttpError extends Error {
  override readonly name = 'TrainerHttpError';
  constructor(
    readonly nodeId: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const heartbeatSchema = z.object({ nodeId: z.string(), status: z.enum(['ok', 'busy']) });

/** Options of {@link httpTrainerTransport}. */
export interface HttpTransportOptions {
  /** A fetch: SimNetwork's `net.fetch` in simulation, global fetch (undici) live. */
  readonly fetch: FetchLike;
  /** Bearer token sent to every trainer (omit when trainers do not ask for one). */
  readonly authToken?: string;
}

/**
 * The HTTP transport over an injected fetch (see the module docstring for the API).
 * @returns a {@link TrainerTransport}; its calls throw TrainerHttpError for a missing endpoint or
 *   a non-2xx status, a SyntaxError for a body that is not JSON, TypeError('fetch failed') from
 *   the fetch for refused / reset connections, and the signal's reason when aborted.
 */
export function httpTrainerTransport(options: HttpTransportOptions): TrainerTransport {
  const headers = (json: boolean): Record<string, string> => ({
    ...(json ? { 'content-type': 'application/json' } : {}),
    ...(options.authToken === undefined ? {} : { authorization: `Bearer ${options.authToken}` }),
  });
  const call = async (node: NodeView, path: string, init: RequestInit): Promise<unknown> => {
    if (node.endpoint === undefined)
      throw new TrainerHttpError(node.nodeId, 0, `node ${node.nodeId} has no endpoint`);
    const res = await options.fetch(
      new URL(path, node.endpoint.endsWith('/') ? node.endpoint : `${node.endpoint}/`),
      init,
    );
    const text = await res.text();
    if (!res.ok)
      throw new TrainerHttpError(
        node.nodeId,
        res.status,
        `${node.nodeId} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`,
      );
    return JSON.parse(text) as unknown;
  };
  return {
    train: (node, task, { signal }) =>
      call(node, 'train', { method: 'POST', headers: headers(true), body: JSON.stringify(task), signal }),
    heartbeat: async (node, { signal }) => {
      const body = await call(node, 'heartbeat', { method: 'GET', headers: headers(false), signal });
      const r = heartbeatSchema.safeParse(body);
      if (!r.success)
        throw new TrainerHttpError(node.nodeId, 200, `${node.nodeId} heartbeat: malformed reply`);
      return r.data;
    },
  };
}
