/**
 * The stand-alone server (src/live/main.ts), run as a child process: safe defaults (127.0.0.1, a
 * random token printed once, keys from a cryptographic RNG) unless flags say otherwise, and a
 * start-up line that says which.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
// Each child starts node + tsx (seconds on a loaded 2-core machine): a generous bound, not a timing claim.
vi.setConfig({ testTimeout: 120_000 });
const children: ChildProcess[] = [];

afterEach(async () => {
  await Promise.all(
    children.splice(0).map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
    ),
  );
});

interface Started {
  line: string;
  url: string;
}

/** Start main.ts with `args`; resolves with its first stdout line (or rejects with its exit). */
function start(args: string[]): Promise<Started> {
  const child = spawn(
    process.execPath,
    ['--conditions=@fanout/source', '--import', 'tsx', 'simulators/bao/src/live/main.ts', ...args],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl === -1) return;
      const line = out.slice(0, nl);
      const m = /listening on (\S+):(\d+)/.exec(line);
      if (m) resolve({ line, url: `http://${m[1] === '0.0.0.0' ? '127.0.0.1' : m[1]}:${m[2]}` });
      else reject(new Error(`unexpected first line: ${line}`));
    });
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
}

/** Run main.ts to completion (for argument errors): exit code and stderr. */
function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(
    process.execPath,
    ['--conditions=@fanout/source', '--import', 'tsx', 'simulators/bao/src/live/main.ts', ...args],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

async function exportKey(url: string, token: string): Promise<string> {
  const headers = { 'X-Vault-Token': token, 'Content-Type': 'application/json' };
  const made = await fetch(`${url}/v1/secp256k1/keys/k`, {
    method: 'POST',
    headers,
    body: '{"exportable":true}',
  });
  expect(made.status).toBe(200);
  const exp = (await (await fetch(`${url}/v1/secp256k1/export/k`, { headers })).json()) as {
    data: { keys: Record<string, string> };
  };
  return exp.data.keys['1']!;
}

describe('stand-alone server defaults', () => {
  it('binds 127.0.0.1, prints a generated token, and draws keys from a cryptographic RNG', async () => {
    const a = await start(['--port', '0']);
    const b = await start(['--port', '0']);
    for (const s of [a, b]) {
      expect(s.line).toMatch(/^bao simulator listening on 127\.0\.0\.1:\d+ /);
      expect(s.line).toMatch(/keys: cryptographic RNG/);
    }
    const tokenA = /token: (\S+) \(generated\)/.exec(a.line)![1]!;
    const tokenB = /token: (\S+) \(generated\)/.exec(b.line)![1]!;
    expect(tokenA).not.toBe('root');
    expect(tokenA).not.toBe(tokenB);
    const refused = await fetch(`${a.url}/v1/secp256k1/keys?list=true`, {
      headers: { 'X-Vault-Token': 'root' },
    });
    expect(refused.status).toBe(403);
    // Same name, two servers: unrelated private keys.
    expect(await exportKey(a.url, tokenA)).not.toBe(await exportKey(b.url, tokenB));
  });

  it('with --seed, says the keys are predictable and derives the same keys every run', async () => {
    const a = await start(['--port', '0', '--seed', '5', '--token', 'test-token']);
    const b = await start(['--port', '0', '--seed', '5', '--token', 'test-token']);
    for (const s of [a, b]) {
      expect(s.line).toMatch(/keys: seeded from --seed 5/);
      expect(s.line).toMatch(/token: given/);
      expect(s.line).not.toMatch(/test-token/);
    }
    expect(await exportKey(a.url, 'test-token')).toBe(await exportKey(b.url, 'test-token'));
  });

  it('refuses bad flags with exit code 2', async () => {
    const cases = [['--seed', 'abc'], ['--port', '70000'], ['--token', ''], ['--nope']];
    const results = await Promise.all(cases.map((args) => run(args)));
    results.forEach((r, i) => {
      expect(r.code, cases[i]!.join(' ')).toBe(2);
      expect(r.stderr, cases[i]!.join(' ')).toMatch(/^bao simulator: /);
    });
  });
});
