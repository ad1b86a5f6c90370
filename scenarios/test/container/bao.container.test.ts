/**
 * Container tier (DESIGN principle 3): the Bao simulator in a real container started with
 * testcontainers, the keyring in this process talking to it over HTTP through a port published on
 * 127.0.0.1.
 *
 * The image is built here, offline: FROM scratch with this machine's `node` binary and the shared
 * libraries `ldd` lists (no registry to pull from); the repository is bind-mounted read-only at
 * /repo and the container runs `node --conditions=@fanout/source --import tsx simulators/bao/src/live/main.ts`. On machines
 * without Docker, podman's Docker-compatible API serves (../shared/notes/containers-without-docker.md;
 * `.ci/run` installs and starts it and sets FANOUT_CONTAINERS=1, which makes a missing runtime a
 * failure instead of a skip).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { realClock } from '@fanout/core';
import { BaoClient, BaoKeyring } from '@fanout/bao-keyring';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const IMAGE = 'localhost/fanout-node-runtime:test';
const required = process.env.FANOUT_CONTAINERS === '1';

/** Is a Docker-compatible API reachable (DOCKER_HOST or the default socket)? */
async function runtimeAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/**
 * Build a FROM-scratch image holding only `process.execPath` and its shared libraries, plus /tmp.
 * @returns the image name.
 */
async function buildRuntimeImage(): Promise<string> {
  const context = mkdtempSync(join(tmpdir(), 'fanout-image-'));
  try {
    const rootfs = join(context, 'rootfs');
    const files = [process.execPath];
    for (const line of execFileSync('ldd', [process.execPath], { encoding: 'utf8' }).split('\n')) {
      const m = /(\/\S+) \(0x[0-9a-f]+\)$/.exec(line.trim());
      if (m) files.push(m[1]!);
    }
    for (const f of files) {
      mkdirSync(join(rootfs, dirname(f)), { recursive: true });
      copyFileSync(f, join(rootfs, f));
    }
    mkdirSync(join(rootfs, 'tmp'), { recursive: true });
    mkdirSync(join(rootfs, 'repo'), { recursive: true });
    writeFileSync(
      join(context, 'Dockerfile'),
      `FROM scratch\nCOPY rootfs/ /\nWORKDIR /repo\nENTRYPOINT ["${process.execPath}"]\n`,
    );
    await GenericContainer.fromDockerfile(context).build(IMAGE, { deleteOnExit: false });
    return IMAGE;
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

const available = await runtimeAvailable();
if (!available && !required)
  console.warn(
    'container tier skipped: no Docker-compatible runtime (set FANOUT_CONTAINERS=1 to require it)',
  );

describe.runIf(available || required)('Bao simulator in a container (testcontainers)', () => {
  let container: StartedTestContainer | undefined;
  let address = '';

  beforeAll(async () => {
    const image = await buildRuntimeImage();
    container = await new GenericContainer(image)
      // Inside its own network namespace the server must listen on 0.0.0.0 (main.ts defaults to
      // 127.0.0.1); the token and seed are the test's own.
      .withCommand([
        '--conditions=@fanout/source',
        '--import',
        'tsx',
        'simulators/bao/src/live/main.ts',
        '--host',
        '0.0.0.0',
        '--port',
        '8200',
        '--token',
        'container-token',
        '--seed',
        '1',
      ])
      .withBindMounts([{ source: ROOT, target: '/repo', mode: 'ro' }])
      .withTmpFs({ '/tmp': 'rw' })
      .withExposedPorts(8200)
      .withWaitStrategy(Wait.forLogMessage(/bao simulator listening on/))
      .withStartupTimeout(60_000)
      .start();
    address = `http://${container.getHost()}:${container.getMappedPort(8200)}`;
  }, 180_000);

  afterAll(async () => {
    await container?.stop({ timeout: 10_000 });
  }, 60_000);

  test('the published port is on the loopback', () => {
    expect(address).toMatch(/^http:\/\/(127\.0\.0\.1|localhost):\d+$/);
  });

  test('createBatch and signBatch through the pooled client; every signature verifies locally', async () => {
    const client = new BaoClient({ clock: realClock, address, token: 'container-token' });
    try {
      const keyring = new BaoKeyring({ client });
      const created = await keyring.createBatch({ prefix: 'container-worker', count: 4 });
      expect(created.errors.every((e) => e === undefined)).toBe(true);
      const uids = created.keys.map((k) => k!.uid);
      expect(uids).toEqual([
        'container-worker-1',
        'container-worker-2',
        'container-worker-3',
        'container-worker-4',
      ]);
      const enc = new TextEncoder();
      const results = await keyring.signBatch(uids.map((uid) => ({ uid, msg: enc.encode(`tx for ${uid}`) })));
      results.forEach((r, i) => {
        expect(r.uid).toBe(uids[i]);
        expect(r.error).toBeUndefined();
        const digest = sha256(enc.encode(`tx for ${uids[i]}`));
        expect(secp256k1.verify(r.signature!, digest, r.publicKey!, { prehash: false })).toBe(true);
      });
    } finally {
      await client.close();
    }
  });

  test('a wrong token is refused by the containerised server (403), nothing created', async () => {
    const bad = new BaoClient({ clock: realClock, address, token: 'not-the-token' });
    try {
      await expect(new BaoKeyring({ client: bad }).create('intruder')).rejects.toThrow(
        /permission denied|403/i,
      );
    } finally {
      await bad.close();
    }
    const good = new BaoClient({ clock: realClock, address, token: 'container-token' });
    try {
      const { keys } = await good.listKeys();
      expect(keys).toContain('container-worker-1');
      expect(keys).not.toContain('intruder');
    } finally {
      await good.close();
    }
  });
});
