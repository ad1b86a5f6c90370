/**
 * `fanout frost … coordinator …` driven step by step, as upstream's tool: over a live Hubert server
 * (`fanout sim hubert`, a child process), EVERY coordinator step and every participant is its own
 * process (the launcher `pnpm fanout` runs: `fanout frost …`), 3
 * participants, threshold 2: a whole DKG (invite, round1, round2, finalize), then a signing
 * session (invite, round1 with quorum exit, round2) whose aggregate signature is checked here with
 * @noble/curves ed25519 against the group key. Also: steps out of order and corrupt session files
 * are usage errors (exit 2) naming what was wrong; Ctrl-C during a step prints who answered and
 * who did not and exits 130, leaving the session file as it was. No timing assertions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SessionFileError, decodeSessionFile } from '../../../src/frost/tools/index.js';
import { FANOUT_NODE_ARGS } from '@fanout/testkit/cli';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const NAMES = ['Bob', 'Carol', 'Dan'] as const;

interface Run {
  readonly child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp): Promise<string>;
  readonly exited: Promise<number | null>;
}

/** `fanout <args>` as the root script runs it, in its own process group (so SIGINT is Ctrl-C). */
function fanout(args: readonly string[]): Run {
  const child = spawn(process.execPath, [...FANOUT_NODE_ARGS, ...args], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', CI: '1' },
  });
  let out = '';
  const waiters: { pattern: RegExp; resolve: (s: string) => void }[] = [];
  const feed = (chunk: Buffer): void => {
    out += chunk.toString('utf8');
    for (const w of [...waiters])
      if (w.pattern.test(out)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(out);
      }
  };
  child.stdout!.on('data', feed);
  child.stderr!.on('data', feed);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    waitFor: (pattern) =>
      pattern.test(out) ? Promise.resolve(out) : new Promise((resolve) => waiters.push({ pattern, resolve })),
    exited,
  };
}

/** Run `fanout <args>` to its end; returns its exit code and output. */
async function run(args: readonly string[]): Promise<{ code: number | null; out: string }> {
  const r = fanout(args);
  const code = await r.exited;
  return { code, out: r.output() };
}

/** Run `fanout <args>`, expecting exit 0; returns the output. */
async function ok(args: readonly string[]): Promise<string> {
  const { code, out } = await run(args);
  expect(code, `fanout ${args.join(' ')}\n${out}`).toBe(0);
  return out;
}

const live: ChildProcess[] = [];
let dir = '';
let hubert = '';
let stopHubert: () => void = () => {};
const at = (file: string): string => join(dir, file);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'frost-steps-'));
  const sim = fanout(['sim', 'hubert', '--port', '0', '--json']);
  live.push(sim.child);
  const first = await sim.waitFor(/\n/);
  hubert = (JSON.parse(first.split('\n')[0]!) as { endpoints: { hubert: string } }).endpoints.hubert;
  stopHubert = () => sim.child.kill('SIGTERM');
  // One key file (and public identity file) per party, each made by its own process.
  const made = await Promise.all(
    ['Alice', ...NAMES].map((name) =>
      ok(['frost', 'identity', '--name', name, '--out', at(`${name.toLowerCase()}.key.json`)]),
    ),
  );
  for (const out of made) expect(out).toMatch(/xid [0-9a-f]{64}/);
}, 120_000);

afterAll(() => {
  stopHubert();
  for (const c of live) if (c.exitCode === null && c.pid !== undefined) process.kill(-c.pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Each participant's invitation ARID in `session`, read by `fanout frost session --invite NAME`. */
async function invitations(session: string): Promise<string[]> {
  const outs = await Promise.all(
    NAMES.map((n) => ok(['frost', 'session', '--session', session, '--invite', n])),
  );
  return outs.map((o) => o.trim());
}

/** Start one participant process per invitation. */
function participants(arids: readonly string[]): Run[] {
  return NAMES.map((n, i) => {
    const r = fanout([
      'frost',
      'participant',
      '--key-file',
      at(`${n.toLowerCase()}.key.json`),
      '--coordinator',
      at('alice.pub.json'),
      '--hubert',
      hubert,
      '--invite',
      arids[i]!,
    ]);
    live.push(r.child);
    return r;
  });
}

describe('fanout frost dkg/sign coordinator, step by step over a live Hubert server', () => {
  test('a whole DKG and a signing session, every step and participant its own process; the signature verifies', async () => {
    const dkg = at('dkg.json');
    const pubs = NAMES.flatMap((n) => ['--participant', at(`${n.toLowerCase()}.pub.json`)]);
    const invite = await ok([
      'frost',
      'dkg',
      'coordinator',
      'invite',
      '--session',
      dkg,
      '--key-file',
      at('alice.key.json'),
      ...pubs,
      '--min-signers',
      '2',
      '--hubert',
      hubert,
      '--parallel',
      '2',
      '--timeout',
      '120000',
    ]);
    expect(invite).toContain('[dkg invite: send]');
    for (const n of NAMES) expect(invite).toMatch(new RegExp(`✅ ${n} \\(`));
    const dkgParties = participants(await invitations(dkg));

    for (const step of ['round1', 'round2', 'finalize']) {
      const out = await ok(['frost', 'dkg', 'coordinator', step, '--session', dkg, '--timeout', '120000']);
      expect(out).toContain('Waiting for 3 responses...');
      for (const n of NAMES) expect(out).toMatch(new RegExp(`✅ ${n} \\(`));
    }
    const finalize = JSON.parse(readFileSync(dkg, 'utf8')) as { group: { groupVerifyingKey: string } };
    const groupKey = finalize.group.groupVerifyingKey;
    for (const p of dkgParties) {
      expect(await p.exited, p.output()).toBe(0);
      expect(p.output()).toContain(`verifying key ${groupKey}`);
    }

    const sign = at('sign.json');
    const target = 'step by step, as upstream';
    await ok([
      'frost',
      'sign',
      'coordinator',
      'invite',
      '--group',
      dkg,
      '--session',
      sign,
      '--target',
      target,
      '--quorum-exit',
    ]);
    const signParties = participants(await invitations(sign));
    const round1 = await ok(['frost', 'sign', 'coordinator', 'round1', '--session', sign, '--quorum-exit']);
    expect(round1).toMatch(/signers: (Bob|Carol|Dan), (Bob|Carol|Dan)/);
    const round2 = await ok(['frost', 'sign', 'coordinator', 'round2', '--session', sign]);
    expect(round2).toContain('ed25519.verify(signature, SHA-256(target), groupKey) = true');

    const file = JSON.parse(readFileSync(sign, 'utf8')) as {
      group: { groupVerifyingKey: string };
      participants: { name: string; xid: string }[];
      sign: { target: string; signers: string[]; signature: string };
    };
    const signature = hexToBytes(file.sign.signature);
    const digest = sha256(hexToBytes(file.sign.target));
    expect(new TextDecoder().decode(hexToBytes(file.sign.target))).toBe(target);
    expect(file.group.groupVerifyingKey).toBe(groupKey);
    expect(ed25519.verify(signature, digest, hexToBytes(groupKey))).toBe(true);
    expect(
      ed25519.verify(signature, sha256(new TextEncoder().encode('another text')), hexToBytes(groupKey)),
    ).toBe(false);

    // The signers got the signature; the participant left out by the quorum exit waits, and Ctrl-C stops it.
    const signerNames = file.sign.signers.map((x) => file.participants.find((p) => p.xid === x)!.name);
    for (const [i, n] of NAMES.entries()) {
      const p = signParties[i]!;
      if (signerNames.includes(n)) {
        expect(await p.exited, p.output()).toBe(0);
        expect(p.output()).toContain(`signature ${file.sign.signature}`);
      } else {
        await p.waitFor(/replied signRound1Response/);
        process.kill(-p.child.pid!, 'SIGINT');
        expect(await p.exited, p.output()).toBe(130);
        expect(p.output()).toContain(`Interrupted: ${n} stopped`);
      }
    }

    // No participant secret is in the coordinator's files.
    const coordinatorFiles = readFileSync(dkg, 'utf8') + readFileSync(sign, 'utf8');
    for (const n of NAMES) {
      const key = JSON.parse(readFileSync(at(`${n.toLowerCase()}.key.json`), 'utf8')) as {
        identity: { signingSecretKey: string; encryptionSecretKey: string };
        groups: { signingShare: string }[];
      };
      expect(key.groups).toHaveLength(1);
      for (const secret of [
        key.identity.signingSecretKey,
        key.identity.encryptionSecretKey,
        key.groups[0]!.signingShare,
      ])
        expect(coordinatorFiles).not.toContain(secret);
    }
  }, 600_000);

  test('a step out of order exits 2 with a clear message; a corrupt session file names the field', async () => {
    const early = at('early.json');
    const pubs = NAMES.flatMap((n) => ['--participant', at(`${n.toLowerCase()}.pub.json`)]);
    await ok([
      'frost',
      'dkg',
      'coordinator',
      'invite',
      '--session',
      early,
      '--key-file',
      at('alice.key.json'),
      ...pubs,
      '--min-signers',
      '2',
      '--hubert',
      hubert,
    ]);
    const round2 = await run(['frost', 'dkg', 'coordinator', 'round2', '--session', early]);
    expect(round2.code, round2.out).toBe(2);
    expect(round2.out).toContain("dkg round2: out of order: the session is at 'dkg invited'");
    expect(round2.out).toContain(`run \`fanout frost dkg coordinator round1 --session ${early}\` next`);
    const signFirst = await run([
      'frost',
      'sign',
      'coordinator',
      'invite',
      '--group',
      early,
      '--session',
      at('s.json'),
      '--target',
      'x',
    ]);
    expect(signFirst.code, signFirst.out).toBe(2);
    expect(signFirst.out).toContain("sign invite: out of order: the session is at 'dkg invited'");

    const good = JSON.parse(readFileSync(early, 'utf8')) as { dkg: Record<string, unknown>; version: number };
    const corrupt = (name: string, edit: (j: typeof good) => void): string => {
      const j = structuredClone(good);
      edit(j);
      writeFileSync(at(name), JSON.stringify(j));
      return at(name);
    };
    const badThreshold = corrupt('bad-threshold.json', (j) => (j.dkg['minSigners'] = 'two'));
    const r1 = await run(['frost', 'dkg', 'coordinator', 'round1', '--session', badThreshold]);
    expect(r1.code, r1.out).toBe(2);
    expect(r1.out).toContain(`${badThreshold}: field 'dkg.minSigners'`);
    const badVersion = corrupt('bad-version.json', (j) => (j.version = 2));
    const r2 = await run(['frost', 'dkg', 'coordinator', 'round1', '--session', badVersion]);
    expect(r2.code, r2.out).toBe(2);
    expect(r2.out).toContain(`field 'version'`);
    // In-process: the typed error and its field.
    const text = readFileSync(badThreshold, 'utf8');
    expect(() => decodeSessionFile(text, badThreshold)).toThrow(SessionFileError);
    try {
      decodeSessionFile(text, badThreshold);
    } catch (e) {
      expect((e as SessionFileError).field).toBe('dkg.minSigners');
    }
    const truncated = at('truncated.json');
    writeFileSync(truncated, readFileSync(early, 'utf8').slice(0, 200));
    const r3 = await run(['frost', 'session', '--session', truncated]);
    expect(r3.code, r3.out).toBe(2);
    expect(r3.out).toContain(`${truncated}: field '(root)': not JSON`);
  }, 300_000);

  test('Ctrl-C during a step: who answered and who did not, exit 130, the session file unchanged', async () => {
    const session = at('interrupted.json');
    const pubs = NAMES.flatMap((n) => ['--participant', at(`${n.toLowerCase()}.pub.json`)]);
    await ok([
      'frost',
      'dkg',
      'coordinator',
      'invite',
      '--session',
      session,
      '--key-file',
      at('alice.key.json'),
      ...pubs,
      '--min-signers',
      '2',
      '--hubert',
      hubert,
    ]);
    const before = readFileSync(session, 'utf8');
    // Nobody answers: no participant process was started for this session.
    const step = fanout(['frost', 'dkg', 'coordinator', 'round1', '--session', session]);
    live.push(step.child);
    await step.waitFor(/Waiting for 3 responses\.\.\./);
    process.kill(-step.child.pid!, 'SIGINT');
    expect(await step.exited, step.output()).toBe(130);
    const out = step.output();
    expect(out).toContain(`Interrupted: dkg round1 aborted; ${session} is unchanged. Who answered:`);
    for (const n of NAMES) expect(out).toMatch(new RegExp(`${n}: did not answer`));
    expect(readFileSync(session, 'utf8')).toBe(before);
  }, 120_000);
});
