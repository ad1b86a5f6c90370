/**
 * The Bao simulator as a stand-alone server process (what a container image runs):
 *
 *   node --conditions=@fanout/source --import tsx simulators/bao/src/live/main.ts
 *
 * Environment: BAO_HOST (default 0.0.0.0), BAO_PORT (default 8200, OpenBao's), BAO_TOKEN (default
 * "root"), BAO_SEED (key-material seed, default "container"). Prints
 * `bao simulator listening on <host>:<port>` once ready (the readiness line container tests wait
 * for) and stops cleanly on SIGTERM or SIGINT, printing its request count.
 * Exit codes: 0 after a signal, 1 when the port cannot be bound, 2 for a bad BAO_PORT.
 */
import { startBaoServer } from './server.js';

const host = process.env.BAO_HOST ?? '0.0.0.0';
const port = Number(process.env.BAO_PORT ?? '8200');
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`BAO_PORT must be an integer in 0..65535, got "${process.env.BAO_PORT}"`);
  process.exit(2);
}
let server;
try {
  server = await startBaoServer({
    host,
    port,
    tokens: [process.env.BAO_TOKEN ?? 'root'],
    seed: process.env.BAO_SEED ?? 'container',
  });
} catch (e) {
  console.error(`cannot listen on ${host}:${port}: ${(e as Error).message}`);
  process.exit(1);
}
console.log(`bao simulator listening on ${host}:${server.port}`);
await new Promise<void>((resolve) => {
  process.once('SIGTERM', () => resolve());
  process.once('SIGINT', () => resolve());
});
const served = server.sim.counters().total;
await server.close();
console.log(`bao simulator stopped after ${served} request(s)`);
