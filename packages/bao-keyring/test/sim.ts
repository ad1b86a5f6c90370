/** The keyring wired to the in-process Bao simulator on a VirtualClock. */
import { VirtualClock } from '@fanout/core';
import { createBaoApp, type BaoAppOptions, type BaoSimulator } from '@fanout/sim-bao';
import { BaoClient, BaoKeyring, type BaoClientOptions, type BaoKeyringOptions } from '../src/index.js';

export interface SimRig {
  clock: VirtualClock;
  sim: BaoSimulator;
  client: BaoClient;
  keyring: BaoKeyring;
}

export function simRig(
  opts: {
    app?: Partial<BaoAppOptions>;
    client?: Partial<BaoClientOptions>;
    keyring?: Partial<BaoKeyringOptions>;
    clock?: VirtualClock;
  } = {},
): SimRig {
  const clock = opts.clock ?? new VirtualClock();
  // Namespaces must exist (with the plugin mounted) on an OpenBao-faithful server.
  const sim = createBaoApp({
    clock,
    seed: 1,
    namespaces: ['a', 'b', 'ns1', 'team-a', 'team-b'],
    ...opts.app,
  });
  const client = new BaoClient({
    address: 'http://bao.sim',
    token: 'root',
    clock,
    fetch: sim.fetch,
    ...opts.client,
  });
  const keyring = new BaoKeyring({ client, ...opts.keyring });
  return { clock, sim, client, keyring };
}
