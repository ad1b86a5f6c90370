/**
 * Child process entry: start one live server kind (servers.ts) on 127.0.0.1 behind the loopback
 * guard, tell the parent where it is, then answer the parent's requests over IPC:
 * `rss` (after a full GC: the child runs with --expose-gc), `state`, `check`, `events` (what the
 * server swallowed since the last call), `received` (datagrams its UDP sockets read) and `close`. An uncaught exception ends the process with
 * its stack on stderr: the parent reports it as a crash.
 *
 * Usage (by the parent, see process.ts): node --expose-gc … child.ts <kind> <seed>
 */
import { countReceivedDatagrams, installLoopbackGuard } from './guard.js';
import { SERVERS, type ServerEvent, type ServerKind } from './servers.js';

/** A request from the parent. */
export interface ChildRequest {
  readonly id: number;
  readonly op: 'rss' | 'state' | 'check' | 'events' | 'received' | 'close';
  /** Argument of 'check' (DHT: lookups to run). */
  readonly arg?: number;
}

/** Messages to the parent. */
export type ChildMessage =
  | { readonly type: 'ready'; readonly info: Record<string, unknown> }
  | { readonly type: 'reply'; readonly id: number; readonly value?: unknown; readonly error?: string };

const [kind, seedText] = process.argv.slice(2);
if (kind === undefined || !(kind in SERVERS)) {
  process.stderr.write(`child: unknown server kind ${String(kind)}\n`);
  process.exit(2);
}
const events: ServerEvent[] = [];
const MAX_EVENTS = 1000;
const emit = (e: ServerEvent): void => {
  if (events.length < MAX_EVENTS) events.push(e);
};
installLoopbackGuard((b) => emit({ kind: 'blocked-send', detail: `${b.via} to ${b.to}` }));
const received = countReceivedDatagrams();

const send = (m: ChildMessage): void => {
  process.send?.(m);
};
const server = await SERVERS[kind as ServerKind]({ seed: Number(seedText ?? 0), emit });
const gc = (globalThis as { gc?: () => void }).gc;

process.on('message', (raw) => {
  const m = raw as ChildRequest;
  const answer = async (): Promise<unknown> => {
    switch (m.op) {
      case 'rss':
        gc?.();
        gc?.();
        return process.memoryUsage().rss;
      case 'state':
        return server.state();
      case 'check':
        return server.check(m.arg);
      case 'events':
        return events.splice(0);
      case 'received':
        return received();
      case 'close':
        await server.close();
        setImmediate(() => process.exit(0));
        return true;
    }
  };
  answer().then(
    (value) => send({ type: 'reply', id: m.id, value }),
    (e: unknown) =>
      send({ type: 'reply', id: m.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  );
});
// The parent is gone (killed, crashed): do not outlive it.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', info: server.info });
