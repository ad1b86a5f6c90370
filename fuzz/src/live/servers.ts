/**
 * The live servers under fuzz, as the child process starts them: each on 127.0.0.1 (ephemeral
 * ports), with a canary written before any fuzz input (a token installed on the 25 RAIDA, a value
 * stored in the DHT, a value under a Hubert ARID, an exportable Bao key, registered Prime
 * trainers) and instrumentation that reports what the server swallows (an exception a UDP edge
 * turns into a trace note, a RAIDA 252 "internal error" reply).
 */
import { randomBytes } from 'node:crypto';
import { realClock, type DatagramAddress } from '@fanout/core';
import { createRng, rngBytesFn, type TraceSink } from '@fanout/sim';
import { RESPONSE_HEADER_SIZE, Status } from '@fanout/raida';
import { createCluster, installTokens, mintTokens, type MintedToken } from '@fanout/sim-raida';
import { startLiveRaidaCluster } from '@fanout/sim-raida/live';
import { DatagramDhtNetwork, Swarm, type EndpointFactory } from '@fanout/sim-dht';
import { liveUdpEndpoints } from '@fanout/sim-dht/live';
import { aridToUr, envelopeToUr } from '@fanout/sim-hubert';
import { startHubertServer } from '@fanout/sim-hubert/live';
import { startBaoServer } from '@fanout/sim-bao/live';
import {
  Coordinator,
  httpTrainerTransport,
  prepareFederatedData,
  syntheticDataset,
  uniformFrom,
} from '@fanout/prime';
import { registerOverHttp } from '@fanout/sim-prime';
import { startCoordinatorServer, startTrainerServer } from '@fanout/sim-prime/live';

/** Something the server swallowed or attempted, reported to the parent. */
export interface ServerEvent {
  readonly kind: 'swallowed-exception' | 'internal-error-reply' | 'blocked-send';
  readonly detail: string;
  /** The datagram or request that caused it, hex, when known. */
  readonly input?: string;
  /** Where it went: 'udp:<RAIDA id or DHT node index>'. */
  readonly endpoint?: string;
}

/** A started server, as the child holds it. */
export interface StartedServer {
  /** What the parent needs to fuzz it (addresses, tokens, canary), JSON. */
  readonly info: Record<string, unknown>;
  /** A fingerprint of the state no unauthorised request may change, and counters. */
  state(): Promise<Record<string, unknown>>;
  /** In-process checks the parent cannot do over the wire (DHT lookups); `arg` is check-specific. */
  check(arg?: number): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Options every server gets. */
export interface ServerOptions {
  readonly seed: number;
  readonly emit: (e: ServerEvent) => void;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A trace sink that reports the notes a live edge writes when a handler throws. */
function noteSink(emit: (e: ServerEvent) => void): TraceSink {
  return {
    record: (event: { kind: string; error?: unknown }) => {
      if (event.kind === 'note' && event.error !== undefined)
        emit({ kind: 'swallowed-exception', detail: String(event.error) });
    },
  } as unknown as TraceSink;
}

/** 25 fake RAIDA on UDP; canary: one token installed everywhere; corpus tokens for the fuzzer. */
async function raida(o: ServerOptions): Promise<StartedServer> {
  const rng = createRng(o.seed);
  const servers = createCluster({ rng: rng.fork('servers') });
  const [canary, ...corpus] = mintTokens(rngBytesFn(rng.fork('mint')), 5, { firstSn: 700_000, den: 1 }) as [
    MintedToken,
    ...MintedToken[],
  ];
  installTokens(servers, [canary, ...corpus]);
  for (const s of servers) {
    const handle = s.handle.bind(s);
    s.handle = (request, now, options) => {
      const reply = handle(request, now, options);
      if (reply !== null && reply.length >= RESPONSE_HEADER_SIZE && reply[2] === Status.INTERNAL)
        o.emit({
          kind: 'internal-error-reply',
          detail: `RAIDA ${s.id} answered 252`,
          input: hex(request),
          endpoint: `udp:${s.id}`,
        });
      return reply;
    };
  }
  const cluster = await startLiveRaidaCluster({ servers, rng: rng.fork('net'), trace: noteSink(o.emit) });
  const tokenJson = (t: MintedToken) => ({ den: t.den, sn: t.sn, ans: t.ans.map(hex) });
  return {
    info: { addresses: cluster.addresses, canary: tokenJson(canary), corpus: corpus.map(tokenJson) },
    state: async () => ({
      canaryAns: servers.map((s) => hex(s.getAn(canary.den, canary.sn) ?? new Uint8Array(0))).join(''),
      internalErrors: servers.reduce((n, s) => n + (s.stats.byStatus[Status.INTERNAL] ?? 0), 0),
      requests: servers.reduce((n, s) => n + s.stats.requests, 0),
      answered: servers.reduce((n, s) => n + s.stats.answered, 0),
    }),
    check: async () => ({}),
    close: () => cluster.close(),
  };
}

/** A DHT swarm of 10 nodes on UDP; canary: a value stored by node 5 under a key far from node 0. */
async function dht(o: ServerOptions): Promise<StartedServer> {
  const live = liveUdpEndpoints({ clock: realClock, trace: noteSink(o.emit) });
  // Report what a node's service throws, with the datagram that made it throw.
  const open: EndpointFactory = (target, service) =>
    live.open(target, {
      ...service,
      handle: (request: Uint8Array, from: DatagramAddress) => {
        try {
          return service.handle(request, from);
        } catch (e) {
          o.emit({
            kind: 'swallowed-exception',
            detail: `${target}: ${String(e)}`,
            input: hex(request),
            endpoint: `udp:${target.replace(/^dht-/, '')}`,
          });
          throw e;
        }
      },
    });
  const transport = new DatagramDhtNetwork({ open });
  const swarm = await Swarm.create({ size: 10, clock: realClock, seed: o.seed, transport });
  const key = swarm.node(0).id.slice();
  key[0] = key[0]! ^ 0x80;
  const data = Uint8Array.from(createRng(o.seed).fork('canary').bytes(24));
  const put = await swarm.node(5).put(key, { id: 77n, seq: 0, data });
  if (put.stored.length === 0) throw new Error('DHT canary put stored nowhere');
  const t0 = performance.now();
  const first = await swarm.node(0).get(key);
  const lookupMsAtStart = Math.round(performance.now() - t0);
  return {
    info: {
      nodes: swarm.nodes.map((n) => ({ id: hex(n.id), address: transport.addressOf(n.id) })),
      canary: {
        key: hex(key),
        holdersAtStart: first.holders.length,
        stored: put.stored.length,
        lookupMsAtStart,
      },
    },
    state: async () => ({ ...transport.stats }),
    // Lookups in a row (3 by default): the first after a round may wait out fake contacts the
    // round planted; the next ones show whether node 0 recovered (evicted them).
    check: async (lookups = 3) => {
      const runs: { found: boolean; holders: number; lookupMs: number }[] = [];
      for (let i = 0; i < lookups; i++) {
        const t0 = performance.now();
        const got = await swarm.node(0).get(key);
        const found = got.values.some(
          (v) => v.id === 77n && Buffer.compare(Buffer.from(v.data), Buffer.from(data)) === 0,
        );
        runs.push({ found, holders: got.holders.length, lookupMs: Math.round(performance.now() - t0) });
      }
      return {
        found: runs.every((r) => r.found),
        holders: runs.map((r) => r.holders),
        lookupMs: runs.map((r) => r.lookupMs),
      };
    },
    close: () => swarm.close(),
  };
}

/** The Hubert HTTP server; canary: a value stored under a fresh ARID. */
async function hubert(o: ServerOptions): Promise<StartedServer> {
  const server = await startHubertServer({ port: 0 });
  const rng = createRng(o.seed).fork('canary');
  const arid = aridToUr(rng.bytes(32));
  const envelope = envelopeToUr(rng.bytes(48));
  await server.store.put(arid, envelope, 86_400);
  return {
    info: { url: server.url, canary: { arid, envelope } },
    state: async () => ({}),
    check: async () => ({}),
    close: () => server.close(),
  };
}

/** The Bao simulator (OpenBao + secp256k1 plugin); canary: an exportable key in the root namespace. */
async function bao(o: ServerOptions): Promise<StartedServer> {
  const rng = createRng(o.seed).fork('bao');
  const token = `fz${hex(rng.bytes(12))}`;
  const canary = `canary-${hex(rng.bytes(6))}`;
  const namespaces = ['ns1', 'ns1/ns2'];
  const handle = await startBaoServer({ seed: o.seed, tokens: [token], namespaces });
  const res = await handle.sim.fetch(`http://bao.local/v1/secp256k1/keys/${canary}`, {
    method: 'POST',
    headers: { 'X-Vault-Token': token },
    body: '{"exportable":true}',
  });
  if (res.status !== 200) throw new Error(`Bao canary key: ${res.status} ${await res.text()}`);
  const publicKey = hex(handle.sim.keyInfo('').find((k) => k.name === canary)!.publicKey);
  return {
    info: { url: handle.url, token, canary, publicKey, namespaces },
    state: async () => ({
      fingerprint: handle.sim
        .namespaces()
        .map(
          (ns) =>
            `${ns}:${handle.sim
              .keyInfo(ns)
              .map((k) => `${k.name}=${hex(k.publicKey)}`)
              .join(',')}`,
        )
        .join(';'),
      counters: handle.sim.counters(),
    }),
    check: async () => ({}),
    close: () => handle.close(),
  };
}

/** A Prime coordinator and 3 trainers over HTTP; canary: the trainers registered, one round committed. */
async function prime(o: ServerOptions): Promise<StartedServer> {
  const rng = createRng(o.seed).fork('prime');
  const random = uniformFrom(rngBytesFn(rng.fork('data')));
  const data = prepareFederatedData(syntheticDataset(random, { samples: 300, separation: 2 }), {
    trainers: 3,
    random,
  });
  const trainToken = `tr${hex(rng.bytes(8))}`;
  const joinToken = `jn${hex(rng.bytes(8))}`;
  const trainers = await Promise.all(
    data.shards.map((shard, i) =>
      startTrainerServer({
        nodeId: `trainer-${i}`,
        shard,
        rng: rng.fork(`trainer-${i}`),
        authToken: trainToken,
      }),
    ),
  );
  const coordinator = await Coordinator.open({
    id: 'fuzz-coordinator',
    clock: realClock,
    randomBytes: (n) => randomBytes(n),
    transport: httpTrainerTransport({
      fetch: (input, init) => globalThis.fetch(input, init),
      authToken: trainToken,
    }),
    model: { shape: data.shape, testSet: data.test },
    config: {
      minNodesForRound: 1,
      taskTimeoutMs: 2000,
      roundDeadlineMs: 4000,
      heartbeatTimeoutMs: 3_600_000,
      heartbeatIntervalMs: 60_000,
    },
  });
  const server = await startCoordinatorServer({ coordinator, registrationToken: joinToken });
  for (const t of trainers)
    await registerOverHttp(
      globalThis.fetch,
      server.url,
      { nodeId: t.nodeId, endpoint: t.url },
      { token: joinToken },
    );
  const round = await fetch(`${server.url}/rounds`, {
    method: 'POST',
    headers: { authorization: `Bearer ${joinToken}` },
    body: '{}',
  });
  if (round.status !== 200) throw new Error(`Prime canary round: ${round.status} ${await round.text()}`);
  return {
    info: {
      coordinator: server.url,
      trainers: trainers.map((t) => ({ nodeId: t.nodeId, url: t.url })),
      joinToken,
      trainToken,
      paramCount: data.shape.classes * (data.shape.features + 1),
    },
    state: async () => {
      const status = coordinator.getStatus();
      return {
        nodes: coordinator
          .listNodes()
          .map((n) => n.nodeId)
          .sort()
          .join(','),
        currentRound: status.currentRound,
        completedRounds: status.completedRounds,
        failedRounds: status.failedRounds,
        ledger: coordinator.ledger.entries.length,
        tasksServed: trainers.map((t) => t.trainer.tasksServed).join(','),
      };
    },
    check: async () => ({}),
    close: async () => {
      await server.close();
      await coordinator.close();
      await Promise.all(trainers.map((t) => t.close()));
    },
  };
}

/** Server kinds and their starters. */
export const SERVERS = { raida, dht, hubert, bao, prime } as const;

/** A server kind. */
export type ServerKind = keyof typeof SERVERS;
