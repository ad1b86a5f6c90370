/**
 * A trainer (or anyone) registering with the coordinator over HTTP: `POST {coordinator}/nodes`
 * with a NodeInput body, through an injected fetch (SimNetwork's or the real one).
 */
import type { FetchLike } from '@fanout/core';
import type { NodeInput } from '@fanout/prime';

/** The coordinator refused a registration; `status` is the HTTP status, `body` what it said. */
export class RegistrationError extends Error {
  override readonly name = 'RegistrationError';
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`registration failed: HTTP ${status} ${JSON.stringify(body)}`);
  }
}

/**
 * Register `node` with the coordinator at `coordinatorUrl`.
 * @returns the HTTP status (201 new, 200 known) and the node view the coordinator answered.
 * @throws RegistrationError for any other status; the fetch's error when the coordinator is unreachable.
 */
export async function registerOverHttp(
  fetch: FetchLike,
  coordinatorUrl: string,
  node: NodeInput,
  options: { token?: string; signal?: AbortSignal } = {},
): Promise<{ status: 200 | 201; node: unknown }> {
  const res = await fetch(new URL('/nodes', coordinatorUrl), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
    },
    body: JSON.stringify(node),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    // not JSON: keep the text
  }
  if (res.status !== 200 && res.status !== 201) throw new RegistrationError(res.status, body);
  return { status: res.status, node: body };
}
