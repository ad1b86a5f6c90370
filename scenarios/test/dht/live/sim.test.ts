/**
 * `fanout sim dht`: the swarm as real UDP servers on 127.0.0.1, spoken to with the documented FDHT
 * v2 frames (simulators/dht/src/wire.ts) from a plain UDP socket, as a client in another language
 * would. As a separate process: ping, put and get; the fault-control API switches a network fault
 * (dropRequest) and a node behaviour (corrupt) on and off at run time and the nodes follow; SIGTERM
 * stops it cleanly with its request count. In-process: one injector serves every node, and a plan
 * given at start applies at once.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { signValue } from '@fanout/dht';
import { decodeFrame, encodeFrame, type DhtReply, type DhtRequest } from '@fanout/sim-dht';
import { createRng, parseFaultPlan, rngBytesFn } from '@fanout/sim';
import { dhtSim } from '../../../src/dht/live/sim.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const bytes = rngBytesFn(createRng(9).fork('dht-sim-test'));
const CLIENT_ID = bytes(20);

/** A plain UDP socket speaking FDHT frames: send a request, wait for its reply (or none). */
async function wireClient(): Promise<{
  ask(url: string, msg: DhtRequest, waitMs?: number): Promise<DhtReply | undefined>;
  close(): Promise<void>;
}> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const pending = new Map<number, (r: DhtReply) => void>();
  socket.on('message', (m) => {
    const f = decodeFrame(new Uint8Array(m.buffer, m.byteOffset, m.byteLength));
    if (f.kind === 'reply') pending.get(f.rid)?.(f.msg as DhtReply);
  });
  let rid = 1;
  return {
    ask: (url, msg, waitMs = 10_000) =>
      new Promise((resolve) => {
        const id = rid++;
        const u = new URL(url);
        // Wall-clock wait for a reply that may never come (a dropped request): an outcome, not a bound.
        const timer = setTimeout(() => (pending.delete(id), resolve(undefined)), waitMs);
        pending.set(id, (r) => (clearTimeout(timer), pending.delete(id), resolve(r)));
        socket.send(
          encodeFrame({ kind: 'request', rid: id, from: CLIENT_ID, msg }),
          Number(u.port),
          u.hostname,
        );
      }),
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

interface Started {
  endpoints: Record<string, string>;
  control: string;
  info: { nodeIds: Record<string, string> };
  stop(): Promise<{ code: number | null; output: string }>;
}

async function startSim(nodes: number): Promise<Started> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@fanout/source',
      '--import',
      'tsx',
      'apps/cli/src/main.ts',
      'sim',
      'dht',
      '--nodes',
      String(nodes),
      '--seed',
      '4',
      '--json',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
      if (stdout.includes('\n')) resolve(stdout.split('\n')[0]!);
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    void exited.then((code) => reject(new Error(`fanout sim dht exited ${code}:\n${stdout}${stderr}`)));
  });
  const info = JSON.parse(line) as Omit<Started, 'stop'>;
  return {
    ...info,
    stop: async () => {
      child.kill('SIGTERM');
      const code = await exited;
      return { code, output: stdout + stderr };
    },
  };
}

const rule = (control: string, body: unknown): Promise<Response> =>
  fetch(`${control}/rules`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('fanout sim dht as a separate process, FDHT frames over UDP', () => {
  test('ping, put, get; a dropRequest and a corrupt behaviour switched on and off through the control API; SIGTERM stops it cleanly', async () => {
    const sim = await startSim(8);
    const client = await wireClient();
    let stopped: { code: number | null; output: string } | undefined;
    try {
      expect(Object.keys(sim.endpoints)).toEqual(Array.from({ length: 8 }, (_, i) => `dht-${i}`));
      const at = sim.endpoints['dht-3']!;
      expect(await client.ask(at, { type: 'ping' })).toEqual({ type: 'pong' });
      const key = bytes(20);
      const value = signValue(key, { id: 1n, seq: 0, data: Uint8Array.of(1, 2, 3) }, bytes(32));
      expect(await client.ask(at, { type: 'put', key, value, ttlMs: 60_000 })).toEqual({ type: 'stored' });
      const got = (await client.ask(at, { type: 'get', key })) as Extract<DhtReply, { type: 'values' }>;
      expect(got.type).toBe('values');
      expect([...got.values[0]!.data]).toEqual([1, 2, 3]);

      // dht-3 stops seeing requests: no reply; the rule removed, it answers again.
      const drop = await rule(sim.control, { fault: 'dropRequest', targets: ['dht-3'] });
      expect(drop.status).toBe(201);
      expect(await client.ask(at, { type: 'ping' }, 800)).toBeUndefined();
      const { id } = (await drop.json()) as { id: number };
      expect((await fetch(`${sim.control}/rules/${id}`, { method: 'DELETE' })).status).toBe(204);
      expect(await client.ask(at, { type: 'ping' })).toEqual({ type: 'pong' });

      // A node behaviour through the same API: dht-3 serves corrupt copies, then honest ones again.
      const corrupt = await rule(sim.control, { fault: 'behave', targets: ['dht-3'], behaviour: 'corrupt' });
      expect(corrupt.status).toBe(201);
      const bad = (await client.ask(at, { type: 'get', key })) as Extract<DhtReply, { type: 'values' }>;
      expect([...bad.values[0]!.data]).not.toEqual([1, 2, 3]);
      expect((await fetch(`${sim.control}/reset`, { method: 'POST' })).status).toBeLessThan(300);
      const good = (await client.ask(at, { type: 'get', key })) as Extract<DhtReply, { type: 'values' }>;
      expect([...good.values[0]!.data]).toEqual([1, 2, 3]);

      // A bad rule is refused with the path that is wrong.
      const refused = await rule(sim.control, { fault: 'dropRequest', probability: 2 });
      expect(refused.status).toBe(400);
      expect(JSON.stringify(await refused.json())).toContain('probability');
    } finally {
      await client.close();
      stopped = await sim.stop();
    }
    expect(stopped.code).toBe(0);
    // ping, put, get, (dropped ping), ping, get, get: 6 requests handed to dht-3.
    expect(stopped.output).toMatch(/stopped after 6 request\(s\)\./);
  }, 60_000);
});

describe('dhtSim in-process', () => {
  test('the plan given at start applies at every node through one injector; endpoints and node ids are listed', async () => {
    const plan = parseFaultPlan({ rules: [{ fault: 'partition', targets: ['dht-1'] }] });
    const logs: string[] = [];
    const io = {
      log: (l: string) => logs.push(l),
      onEvent: () => {},
      signal: new AbortController().signal,
      wallNow: () => 0,
    };
    const running = await dhtSim.start(dhtSim.options.parse({ nodes: 4, seed: 2 }), plan, io);
    const client = await wireClient();
    try {
      expect(await client.ask(running.endpoints['dht-0']!, { type: 'ping' })).toEqual({ type: 'pong' });
      expect(await client.ask(running.endpoints['dht-1']!, { type: 'ping' }, 800)).toBeUndefined();
      running.injector.setPlan(parseFaultPlan({}));
      expect(await client.ask(running.endpoints['dht-1']!, { type: 'ping' })).toEqual({ type: 'pong' });
      // findNode on one node names the others, with the addresses the client can call next.
      const nodes = (await client.ask(running.endpoints['dht-2']!, {
        type: 'findNode',
        target: bytes(20),
      })) as Extract<DhtReply, { type: 'nodes' }>;
      expect(nodes.type).toBe('nodes');
      expect(nodes.nodes.length).toBeGreaterThanOrEqual(3);
      expect(Object.keys((running.info as { nodeIds: object }).nodeIds)).toHaveLength(4);
      expect(running.requests()).toBe(3);
      expect(logs.join('\n')).toContain('4 DHT nodes (seed 2)');
    } finally {
      await client.close();
      await running.close();
    }
  });
});
