/**
 * The Bao simulator as a stand-alone server process (what a container image runs):
 *
 *   node --conditions=@fanout/source --import tsx simulators/bao/src/live/main.ts [flags]
 *
 * Flags (defaults are the safe ones, for a server a real client may talk to):
 *   --host ADDR     address to listen on (default 127.0.0.1; a container passes 0.0.0.0 inside
 *                   its own network namespace)
 *   --port N        TCP port, 0 = any free port (default 8200, OpenBao's)
 *   --token T       the accepted token (default: a random one, printed once at start-up)
 *   --seed N        derive every private key from seed N (32-bit unsigned integer): keys are then
 *                   PREDICTABLE from the seed, for tests and replays only (default: keys from a
 *                   cryptographic RNG, @noble/hashes randomBytes)
 *
 * Prints one line once ready, e.g.
 *   `bao simulator listening on 127.0.0.1:8200 (token: s.… (generated); keys: cryptographic RNG)`
 * (container tests wait for "bao simulator listening on"); a given token is never printed. Stops
 * cleanly on SIGTERM or SIGINT, printing its request count.
 * Exit codes: 0 after a signal, 1 when the port cannot be bound, 2 for bad flags.
 */
import { parseArgs } from 'node:util';
import { parseSeed } from '@fanout/sim';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { startBaoServer } from './server.js';

/** The validated command line. */
interface Flags {
  host: string;
  port: number;
  token: string | undefined;
  seed: number | undefined;
}

/**
 * Parse and check the flags.
 * @throws Error naming the flag that is wrong (unknown flag, port outside 0..65535, empty token,
 *   seed that is not a 32-bit unsigned integer).
 */
function parseFlags(argv: string[]): Flags {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8200' },
      token: { type: 'string' },
      seed: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535)
    throw new Error(`--port must be an integer in 0..65535, got "${values.port}"`);
  if (values.token === '') throw new Error('--token must not be empty');
  let seed: number | undefined;
  if (values.seed !== undefined) {
    try {
      seed = parseSeed(values.seed);
    } catch (e) {
      throw new Error(`--seed: ${(e as Error).message}`);
    }
  }
  return { host: values.host, port, token: values.token, seed };
}

let flags: Flags;
try {
  flags = parseFlags(process.argv.slice(2));
} catch (e) {
  console.error(`bao simulator: ${(e as Error).message}`);
  process.exit(2);
}
const token = flags.token ?? `s.${bytesToHex(randomBytes(16))}`;
let server;
try {
  server = await startBaoServer({
    host: flags.host,
    port: flags.port,
    tokens: [token],
    ...(flags.seed === undefined ? { rng: randomBytes } : { seed: flags.seed }),
  });
} catch (e) {
  console.error(`cannot listen on ${flags.host}:${flags.port}: ${(e as Error).message}`);
  process.exit(1);
}
const tokenNote = flags.token === undefined ? `token: ${token} (generated)` : 'token: given';
const keysNote =
  flags.seed === undefined
    ? 'keys: cryptographic RNG'
    : `keys: seeded from --seed ${flags.seed}, PREDICTABLE (tests only)`;
console.log(`bao simulator listening on ${flags.host}:${server.port} (${tokenNote}; ${keysNote})`);
await new Promise<void>((resolve) => {
  process.once('SIGTERM', () => resolve());
  process.once('SIGINT', () => resolve());
});
const served = server.sim.counters().total;
await server.close();
console.log(`bao simulator stopped after ${served} request(s)`);
