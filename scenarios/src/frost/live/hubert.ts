/**
 * Live tier of the FROST world: the real Hubert HTTP server (`startHubertServer`, hono on
 * node:http) on 127.0.0.1 with an ephemeral port, and, for every party the fault plan names, a
 * fault-injecting proxy in front of it (`startHttpService` with that party as the plan target),
 * so latency, partition, drops and forced statuses apply to that party's link only.
 */
import { FaultInjector, type FaultPlan, type Rng } from '@fanout/sim';
import { startHttpService, type HttpServiceHandle } from '@fanout/sim/live';
import type { KvStore } from '@fanout/sim-hubert';
import { startHubertServer, type RunningHubertServer } from '@fanout/sim-hubert/live';

/** A running live Hubert with per-party edges. */
export interface LiveHubert {
  /** The server's own URL (`http://127.0.0.1:<port>`). */
  readonly url: string;
  readonly server: RunningHubertServer;
  /** The URL party `party` should use (its proxy when the plan names it, else the server). */
  urlFor(party: string): string;
  /** The fetch the clients use (Node's global fetch). */
  readonly fetch: (request: Request) => Promise<Response>;
  close(): Promise<void>;
}

/** Whether the plan has anything for a party's link (latency or a rule naming it). */
function planNames(plan: FaultPlan, injector: FaultInjector, party: string): boolean {
  if (plan.latency.default !== undefined || plan.latency.perTarget[party] !== undefined) return true;
  return plan.rules.some(
    (r) => (r.targets !== undefined || r.group !== undefined) && injector.applies(r, party),
  );
}

/**
 * Start the live Hubert server over `store` and lazily one proxy per faulty party.
 * @throws the listen error.
 */
export async function startLiveHubert(o: {
  store: KvStore;
  plan: FaultPlan;
  rng: Rng;
  /** Every party that will connect (coordinator, p1, …). */
  parties: readonly string[];
}): Promise<LiveHubert> {
  const server = await startHubertServer({ store: o.store, port: 0, host: '127.0.0.1' });
  const probe = new FaultInjector(o.plan, o.rng.fork('probe'));
  const edges = new Map<string, HttpServiceHandle>();
  const pending: Promise<void>[] = [];
  const fetchFn = (request: Request): Promise<Response> => globalThis.fetch(request);
  const proxy = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const body =
      request.method === 'GET' || request.method === 'HEAD'
        ? undefined
        : new Uint8Array(await request.arrayBuffer());
    const upstream = await globalThis.fetch(`${server.url}${url.pathname}`, {
      method: request.method,
      ...(body === undefined ? {} : { body }),
      headers: { 'content-type': request.headers.get('content-type') ?? 'text/plain; charset=utf-8' },
    });
    return new Response(new Uint8Array(await upstream.arrayBuffer()), {
      status: upstream.status,
      headers: { 'content-type': upstream.headers.get('content-type') ?? 'text/plain; charset=utf-8' },
    });
  };
  // Start the edges up front for every party the plan names.
  for (const p of o.parties) {
    if (!planNames(o.plan, probe, p)) continue;
    pending.push(
      startHttpService({ target: p, handler: proxy, plan: o.plan, rng: o.rng.fork(`edge/${p}`) }).then(
        (h) => {
          edges.set(p, h);
        },
      ),
    );
  }
  await Promise.all(pending);
  return {
    url: server.url,
    server,
    urlFor: (party) => edges.get(party)?.url ?? server.url,
    fetch: fetchFn,
    close: async () => {
      await Promise.all([...edges.values()].map((e) => e.close()));
      await server.close();
    },
  };
}
