/**
 * Replay one saved live finding: start the server (same kind and seed, as the fuzz run did),
 * send the saved bytes once — as a raw HTTP request to the endpoint it went to, or as a datagram —
 * and print the answer, what the server swallowed, whether it died, and its state.
 *
 * Usage: pnpm --filter @fanout/fuzz replay <server> <findings file .bin>
 * Exit 0 when the server answered without a 5xx and reported nothing; 1 otherwise; 2 on usage errors.
 */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { exchange } from './live/raw-http.js';
import { startServerProcess } from './live/process.js';
import { printable } from './live/report.js';
import type { ServerKind } from './live/servers.js';

const KINDS = ['raida', 'dht', 'hubert', 'bao', 'prime'];

/** Where a saved input goes, from the child's info and the finding's endpoint name. */
function destination(
  info: Record<string, unknown>,
  endpoint: string,
): { http?: number; udp?: { host: string; port: number }[] } {
  const port = (url: string): number => Number(new URL(url).port);
  if (endpoint.startsWith('udp:')) {
    const list =
      (info.addresses as { host: string; port: number }[] | undefined) ??
      (info.nodes as { address: { host: string; port: number } }[]).map((n) => n.address);
    const i = endpoint.slice(4);
    return { udp: i === 'any' ? list : [list[Number(i)]!] };
  }
  if (endpoint === 'coordinator') return { http: port(info.coordinator as string) };
  const trainer = (info.trainers as { nodeId: string; url: string }[] | undefined)?.find(
    (t) => t.nodeId === endpoint,
  );
  if (trainer !== undefined) return { http: port(trainer.url) };
  return { http: port(info.url as string) };
}

async function main(argv: string[]): Promise<number> {
  const [server, file] = argv;
  if (server === undefined || file === undefined || !KINDS.includes(server)) {
    process.stderr.write('replay: usage: replay <raida|dht|hubert|bao|prime> <findings file .bin>\n');
    return 2;
  }
  const bytes = new Uint8Array(readFileSync(file));
  const meta = JSON.parse(readFileSync(`${file}.json`, 'utf8')) as {
    seed: number;
    endpoint: string;
    kind: string;
    detail: string;
  };
  console.log(
    `replaying a ${meta.kind} finding on ${server} (seed ${meta.seed}, to ${meta.endpoint}): ${meta.detail.slice(0, 200)}`,
  );
  const proc = await startServerProcess(server as ServerKind, meta.seed);
  let bad = false;
  try {
    const to = destination(proc.info, meta.endpoint);
    if (to.http !== undefined) {
      const ex = await exchange(bytes, { port: to.http, timeoutMs: 30_000 });
      if (ex.kind === 'response') {
        console.log(`answer: ${ex.status}\n${ex.head}\n\n${printable(ex.body, 2000)}`);
        bad ||= ex.status >= 500;
      } else {
        console.log(`no answer: ${ex.kind}`);
        bad ||= ex.kind === 'timeout';
      }
    } else {
      const socket = dgram.createSocket('udp4');
      await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
      socket.on('message', (m) => console.log(`reply: ${printable(new Uint8Array(m), 200)}`));
      for (const a of to.udp ?? []) socket.send(bytes, a.port, a.host);
      await new Promise((r) => setTimeout(r, 1000));
      socket.close();
    }
    const events = await proc.ask<unknown[]>('events');
    if (events.length > 0) {
      bad = true;
      console.log(`server reported: ${JSON.stringify(events, null, 2)}`);
    }
    console.log(`state: ${JSON.stringify(await proc.ask('state')).slice(0, 1000)}`);
  } catch (e) {
    bad = true;
    console.log(`server failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    const died = proc.died();
    if (died !== undefined) {
      bad = true;
      console.log(died.message);
    }
    await proc.close();
  }
  console.log(bad ? 'reproduced: the server misbehaved' : 'not reproduced: the server answered normally');
  return bad ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
