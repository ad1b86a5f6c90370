/**
 * The RAIDA parties of a world: 25 fake RAIDA servers with minted coins, served as plan targets
 * `raida-0` … `raida-24` (SimNetwork in sim, real UDP sockets on 127.0.0.1 live), and a real
 * RaidaClient holding the client's copy of the coins. Faults come from the world's effective plan
 * (see plan.ts); the oracle (oracle.ts) reads the same plan.
 */
import {
  DEFAULT_PORT_BASE,
  RAIDA_COUNT,
  RaidaClient,
  type Coin,
  type RaidaClientOptions,
} from '@fanout/raida';
import {
  createCluster,
  installTokens,
  mintTokens,
  raidaService,
  raidaTarget,
  type RaidaServer,
} from '@fanout/sim-raida';
import { rngBytesFn } from '@fanout/sim';
import type { World } from '../kernel/world.js';
import { WRONG_AN } from './plan.js';

/** Per-attempt timeouts: the RAIDA spec's 3 s in sim; short live, where RAIDA answer in ms. */
export const SIM_TIMEOUT_MS = 3000;
export const LIVE_TIMEOUT_MS = 400;

/** What a RAIDA world holds besides the plan. */
export interface RaidaWorldSpec {
  /** Coins to mint (serial numbers from 1000). */
  readonly coins: number;
  /** For coin i, the RAIDA whose AN the client holds wrongly (the coin is fracked there). */
  readonly frackedOn?: readonly (readonly number[])[];
  /** Client options over the tier's defaults (timeout, retry, earlyExit, quorum, concurrency…). */
  readonly client?: Partial<Omit<RaidaClientOptions, 'transport' | 'rng' | 'clock' | 'addresses'>>;
  /**
   * Test seam: builds the client instead of `new RaidaClient(options)` (e.g. a deliberately broken
   * subclass, to show that the guarantees and the trace hash catch it).
   */
  readonly makeClient?: (options: RaidaClientOptions) => RaidaClient;
}

/** The RAIDA side of a world. */
export interface RaidaParties {
  readonly servers: readonly RaidaServer[];
  /** Coins as the client holds them. */
  readonly coins: readonly Coin[];
  readonly client: RaidaClient;
  /** The client options in force (timeoutMs, quorum, earlyExit resolved). */
  readonly clientOptions: RaidaClientOptions & { timeoutMs: number; quorum: number; earlyExit: boolean };
  /** Whether the client holds the right AN of coin i on RAIDA r. */
  holdsClientAn(i: number, r: number): boolean;
}

/**
 * `rngBytesFn(world.rng.fork(label))`, forked at the first draw (most worlds never draw wrong
 * ANs): a fork depends only on (seed, path), so forking late draws exactly the same bytes.
 */
function lazyBytes(world: World, label: string): (n: number) => Uint8Array {
  let f: ((n: number) => Uint8Array) | undefined;
  return (n) => (f ??= rngBytesFn(world.rng.fork(label)))(n);
}

/**
 * Build the RAIDA parties in `world`: mint, install (RAIDA with a `behave: wrongAn` rule get other
 * ANs for every coin), serve all 25, open the client's socket and build the client.
 */
export async function buildRaidaWorld(world: World, spec: RaidaWorldSpec): Promise<RaidaParties> {
  const servers = createCluster({ rng: world.rng.fork('servers') });
  const minted = mintTokens(rngBytesFn(world.rng.fork('mint')), spec.coins, { firstSn: 1000 });
  installTokens(servers, minted);
  const bad = lazyBytes(world, 'wrong-an');
  for (const s of servers)
    if (world.view.behaves(raidaTarget(s.id), WRONG_AN) !== 'never')
      for (const m of minted) s.installToken({ den: m.den, sn: m.sn, an: bad(16) });
  const wrong = lazyBytes(world, 'client-wrong');
  const fracked = (i: number, r: number): boolean => spec.frackedOn?.[i]?.includes(r) ?? false;
  const coins: Coin[] = minted.map((m, i) => ({
    den: m.den,
    sn: m.sn,
    ans: m.ans.map((an, r) => (fracked(i, r) ? wrong(16) : an)),
  }));
  const addresses = await Promise.all(
    servers.map((s) =>
      world.serveDatagram(
        raidaTarget(s.id),
        raidaService(s, world.clock, (target) => world.injector.behaviours(target, world.elapsed())),
        world.mode === 'sim' ? { host: '127.0.0.1', port: DEFAULT_PORT_BASE + s.id } : undefined,
      ),
    ),
  );
  const transport = await world.openDatagram();
  const live = world.mode === 'live';
  const options = {
    transport,
    rng: rngBytesFn(world.rng.fork('client')),
    clock: world.clock,
    addresses,
    timeoutMs: live ? LIVE_TIMEOUT_MS : SIM_TIMEOUT_MS,
    quorum: 13,
    earlyExit: false,
    ...(live ? { retry: { attempts: 2, timeoutFactor: 1.5 } } : {}),
    ...spec.client,
  };
  const client = spec.makeClient?.(options) ?? new RaidaClient(options);
  world.defer(() => client.close());
  if (servers.length !== RAIDA_COUNT) throw new Error(`expected ${RAIDA_COUNT} RAIDA, got ${servers.length}`);
  return { servers, coins, client, clientOptions: options, holdsClientAn: (i, r) => !fracked(i, r) };
}
