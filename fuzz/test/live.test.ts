/**
 * The live phase's oracles over real sockets on 127.0.0.1: a 2xx on a guarded route for a request
 * without a valid token is an auth bypass, a request nobody answers is a hang, and a whole run
 * against the Hubert simulator reads its canary back and finds nothing. No wall-clock bound is
 * asserted (a hang is "no answer within the timeout", which a test sets generously).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { toRaw } from '../src/http/raw.js';
import { primeRule, type FuzzRequest } from '../src/http/request.js';
import { judgePrime } from '../src/http/prime-grammar.js';
import { driveLive } from '../src/live/drive.js';
import { runJobs, type HttpJob } from '../src/live/http-round.js';
import { LiveRecorder } from '../src/live/report.js';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A server that answers 200 `{}` to everything, except /stuck which it never answers. */
async function lenientServer(): Promise<number> {
  const s = createServer((req, res) => {
    req.resume();
    if (req.url === '/stuck') return;
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

const request = (target: string, headers: [string, string][]): FuzzRequest => ({
  method: 'POST',
  target,
  headers,
  body: Buffer.from('{}'),
  auth: 'invalid',
  kind: 'test',
});

describe('raw HTTP rounds', () => {
  it('report a 2xx to a request without a valid token on a guarded route as an auth bypass', async () => {
    const port = await lenientServer();
    const token = 'tok123';
    const jobs: HttpJob[] = [
      ['/nodes', [['Authorization', `bearer ${token}`]]],
      ['/rounds', []],
      ['/status', []],
    ].map(([target, headers]) => ({
      endpoint: 'coordinator',
      port,
      raw: toRaw(request(target as string, headers as [string, string][]), {
        port,
        token,
        rule: primeRule(token),
      }),
      judge: (a) => judgePrime(a.method, a.target, a.status, a.body),
    }));
    const rec = new LiveRecorder('test', '/tmp/fanout-fuzz-test-findings', 1);
    await runJobs(jobs, { rec, round: 1, concurrency: 2, timeoutMs: 10_000 });
    expect(rec.findings.map((f) => f.kind)).toEqual(['auth-bypass', 'auth-bypass']);
    expect(rec.findings[0]!.file).toMatch(/test-auth-bypass-seed1-r1-i0\.bin$/);
  });

  it('report a request nobody answers as a hang', async () => {
    const port = await lenientServer();
    const rec = new LiveRecorder('test', '/tmp/fanout-fuzz-test-findings', 1);
    const raw = toRaw(request('/stuck', []), { port, token: 'x', rule: primeRule('x') });
    await runJobs([{ endpoint: 'x', port, raw, judge: () => ({ label: 'ok' }) }], {
      rec,
      round: 1,
      concurrency: 1,
      timeoutMs: 1000,
    });
    expect(rec.findings.map((f) => f.kind)).toEqual(['hang']);
  });
});

describe('a live run against the Hubert simulator', () => {
  it('sends every request, reads the canary back after each round and finds nothing', async () => {
    const rounds: string[] = [];
    const r = await driveLive(
      { server: 'hubert', rounds: 2, perRound: 60 },
      {
        seed: 7,
        findingsDir: '/tmp/fanout-fuzz-test-findings',
        rssLimitMb: 512,
        halfOpen: 10,
        concurrency: 4,
        timeoutMs: 30_000,
        onRound: (_s, n, line) => rounds.push(`${n}: ${line}`),
      },
    );
    expect(r.findings).toEqual([]);
    expect(r.sent).toBe(120);
    expect(r.rounds).toBe(2);
    expect(rounds.every((l) => l.includes('canary reads back: yes'))).toBe(true);
    expect(r.outcomes['half-open connections held']).toBe(20);
  });
});
