/**
 * The Bao simulator for bao.bench.ts, in its own thread (a real Bao is another process): the
 * server's signing CPU then runs beside the client's instead of on the same event loop.
 * Messages in: {type:'latency', ms, slowKey?, slowMs?} (every sign takes `ms`, the key `slowKey`
 * takes `slowMs` in all) | {type:'resetCounters'} | {type:'counters'} | {type:'close'};
 * every message is answered with {type:'ok', ...}. First message out: {type:'ready', url}.
 */
import { parentPort } from 'node:worker_threads';
import { ruleFaults } from '@fanout/sim-bao';
import { startBaoServer } from '@fanout/sim-bao/live';

type Command =
  | { type: 'latency'; ms: number; slowKey?: string; slowMs?: number }
  | { type: 'resetCounters' }
  | { type: 'counters' }
  | { type: 'close' };

const port = parentPort!;
const server = await startBaoServer({ port: 0, seed: 1 });
port.on('message', async (m: Command) => {
  switch (m.type) {
    case 'latency':
      // Latencies of matching rules add up: the slow key gets slowMs - ms on top of ms.
      server.sim.setFaults(
        m.ms > 0 || m.slowKey !== undefined
          ? ruleFaults([
              { match: { route: 'sign' }, latencyMs: m.ms },
              ...(m.slowKey === undefined
                ? []
                : [
                    {
                      match: { route: 'sign' as const, key: m.slowKey },
                      latencyMs: (m.slowMs ?? m.ms) - m.ms,
                    },
                  ]),
            ])
          : undefined,
      );
      port.postMessage({ type: 'ok' });
      break;
    case 'resetCounters':
      server.sim.resetCounters();
      port.postMessage({ type: 'ok' });
      break;
    case 'counters':
      port.postMessage({ type: 'ok', counters: server.sim.counters() });
      break;
    case 'close':
      await server.close();
      port.postMessage({ type: 'ok' });
      port.close();
      break;
  }
});
port.postMessage({ type: 'ready', url: server.url });
