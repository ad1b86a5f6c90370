/**
 * `fanout sim raida`: the 25 fake RAIDA as real UDP servers on 127.0.0.1 (RAIDA i on port base + i,
 * or 25 ephemeral ports with `--port-base 0`), the fault plan at every server's edge, and freshly
 * minted coins written to a JSON file (den, sn, the 25 ANs in hex) so that a client in any
 * language can detect and pown them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { createRng, rngBytesFn, Trace } from '@fanout/sim';
import { createCluster, installTokens, mintTokens, raidaService, raidaTarget } from '@fanout/sim-raida';
import { LiveEdge } from '../../kernel/live/edge.js';
import type { SimServer } from '../../kernel/system.js';

const options = z.object({
  portBase: z
    .number()
    .int()
    .min(0)
    .max(65535 - 25)
    .default(50_000)
    .describe('RAIDA i listens on port base + i (0: 25 ephemeral ports)'),
  coins: z.number().int().min(0).max(10_000).default(10).describe('coins to mint and write to --out'),
  out: z
    .string()
    .min(1)
    .default('.fanout/raida-coins.json')
    .describe('where to write the minted coins (JSON)'),
  seed: z
    .number()
    .int()
    .min(0)
    .max(0xffff_ffff)
    .default(1)
    .describe('seed of the minted ANs and the fault draws'),
});

/** The stand-alone RAIDA simulator (see the module docstring). */
export const raidaSim: SimServer<typeof options> = {
  description: '25 fake RAIDA UDP servers on 127.0.0.1 with minted coins',
  options,
  async start(o, plan, io) {
    const rng = createRng(o.seed);
    const servers = createCluster({ rng: rng.fork('servers') });
    const coins = mintTokens(rngBytesFn(rng.fork('mint')), o.coins, { firstSn: 1000 });
    installTokens(servers, coins);
    const edge = new LiveEdge(plan, rng.fork('network'), new Trace({ enabled: false }));
    const endpoints: Record<string, string> = {};
    const startedAt = edge.clock.now();
    try {
      for (const s of servers) {
        const a = await edge.serveDatagram(
          raidaTarget(s.id),
          raidaService(s, edge.clock, (t) => edge.injector.behaviours(t, edge.clock.now() - startedAt)),
          {
            host: '127.0.0.1',
            port: o.portBase === 0 ? 0 : o.portBase + s.id,
          },
        );
        endpoints[raidaTarget(s.id)] = `udp://${a.host}:${a.port}`;
      }
    } catch (e) {
      await edge.close();
      throw e;
    }
    mkdirSync(dirname(o.out), { recursive: true });
    writeFileSync(
      o.out,
      `${JSON.stringify(
        coins.map((c) => ({ den: c.den, sn: c.sn, ans: c.ans.map((a) => Buffer.from(a).toString('hex')) })),
        null,
        2,
      )}\n`,
    );
    io.log(`${o.coins} coins minted (seed ${o.seed}); their ANs are in ${o.out}`);
    return {
      endpoints,
      injector: edge.injector,
      info: { coinsFile: o.out, coins: o.coins, seed: o.seed },
      requests: () => servers.reduce((a, s) => a + s.stats.requests, 0),
      close: () => edge.close(),
    };
  },
};
