/**
 * `fanout sim bao`: the Bao simulator (OpenBao + the popsigner `secp256k1` plugin) as a real HTTP
 * server on 127.0.0.1, with the options of the stand-alone server (simulators/bao/src/live/main.ts):
 * a port (0: ephemeral), a token (random and printed unless given), key material from a CSPRNG
 * unless a seed is given (then PREDICTABLE from it), and namespaces to create up front.
 *
 * It is served by `startBaoServer` (keeping its TCP front that accepts the `LIST` method, which
 * Node's HTTP parser refuses) with ONE FaultInjector shared by the socket edge (network rules on
 * target `bao`) and the simulator's fault hooks (the plan's Bao behaviours, read at each request):
 * `fanout sim` hands that injector to its fault-control API, so a plan changed at run time
 * changes both.
 */
import { z } from 'zod';
import { realClock } from '@fanout/core';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { seededKeyRandom } from '@fanout/sim-bao';
import { startBaoServer } from '@fanout/sim-bao/live';
import { FaultInjector, createRng } from '@fanout/sim';
import { PlanView } from '../../kernel/plan-view.js';
import type { SimServer } from '../../kernel/system.js';
import { behaviourHooks } from '../hooks.js';
import { BAO, parseBaoBehaviour } from '../plan.js';

const options = z.object({
  port: z.number().int().min(0).max(65_535).default(8200).describe('TCP port (0: an ephemeral port)'),
  token: z
    .string()
    .min(1)
    .optional()
    .describe('the accepted token (default: a random s.<32 hex>, printed once)'),
  seed: z
    .number()
    .int()
    .min(0)
    .max(0xffff_ffff)
    .optional()
    .describe('derive every private key from this seed: PREDICTABLE, tests only (default: a CSPRNG)'),
  namespaces: z
    .string()
    .optional()
    .describe('namespaces to create, comma-separated, parents first (e.g. "team-a,team-a/ci")'),
});

/** The stand-alone Bao simulator (see the module docstring). */
export const baoSim: SimServer<typeof options> = {
  description: 'a fake OpenBao with the popsigner secp256k1 plugin on 127.0.0.1',
  options,
  /**
   * Start the server; the plan's Bao behaviours are checked first.
   * @throws BaoBehaviourError for a malformed Bao behaviour in `plan`; BaoNamespaceError for a bad
   *   namespace; (rejects with) the listen error, e.g. EADDRINUSE for a taken port.
   */
  async start(o, plan) {
    for (const b of new PlanView(plan).behaviours(BAO)) parseBaoBehaviour(b);
    const token = o.token ?? `s.${bytesToHex(randomBytes(16))}`;
    // Fault draws need a seeded stream; without --seed its seed comes from the CSPRNG.
    const faultSeed = o.seed ?? new DataView(randomBytes(4).buffer).getUint32(0);
    const injector = new FaultInjector(plan, createRng(faultSeed).fork('network'));
    const namespaces = (o.namespaces ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const t0 = realClock.now();
    const server = await startBaoServer({
      host: '127.0.0.1',
      port: o.port,
      tokens: [token],
      namespaces,
      rng: o.seed === undefined ? randomBytes : seededKeyRandom(o.seed),
      injector,
      faults: behaviourHooks(() => injector.behaviours(BAO, realClock.now() - t0)),
    });
    const keys =
      o.seed === undefined ? 'cryptographic RNG' : `seeded from --seed ${o.seed}, PREDICTABLE (tests only)`;
    return {
      endpoints: { bao: server.url },
      injector,
      info: {
        token: o.token === undefined ? token : '(given)',
        keys,
        ...(namespaces.length === 0 ? {} : { namespaces }),
      },
      requests: () => server.sim.counters().total,
      close: () => server.close(),
    };
  },
};
