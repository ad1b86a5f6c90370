/**
 * `fanout sim raida`: 25 fake RAIDA as real UDP sockets on 127.0.0.1 (port base + id), with
 * freshly minted coins written to a JSON file so another client can detect/pown them. Runs until
 * Ctrl-C (SIGINT) or SIGTERM.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import pc from 'picocolors';
import { createCluster, installTokens, mintTokens } from '@fanout/sim-raida';
import { startLiveRaidaCluster } from '@fanout/sim-raida/live';
import { createRng, rngBytesFn } from '@fanout/sim';

export async function startRaidaSimulator(o: {
  portBase: number;
  coins: number;
  out: string;
  seed: number;
}): Promise<number> {
  const rng = createRng(o.seed);
  const servers = createCluster({ rng: rng.fork('servers') });
  const coins = mintTokens(rngBytesFn(rng.fork('mint')), o.coins, { firstSn: 1000 });
  installTokens(servers, coins);
  let cluster;
  try {
    cluster = await startLiveRaidaCluster({ servers, portBase: o.portBase });
  } catch (e) {
    console.error(
      pc.red(`cannot bind the RAIDA ports ${o.portBase}..${o.portBase + 24}: ${(e as Error).message}`),
    );
    return 1;
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
  console.log(
    `${pc.bold('25 fake RAIDA')} listening on 127.0.0.1:${o.portBase}..${o.portBase + 24} (RAIDA i on ${o.portBase} + i)`,
  );
  console.log(`${o.coins} coins minted (seed ${o.seed}); their ANs are in ${o.out}. Ctrl-C to stop.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const served = servers.reduce((a, s) => a + s.stats.requests, 0);
  await cluster.close();
  console.log(`\nstopped after ${served} request(s).`);
  return 0;
}
