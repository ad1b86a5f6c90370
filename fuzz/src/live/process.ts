/**
 * Parent side of a live server: spawn the child (child.ts) with the workspace's source condition,
 * tsx and --expose-gc, wait for its address, ask it things over IPC with a timeout (an
 * unanswered request is a hang), and notice when it dies (a crash, with the tail of its stderr).
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { ChildMessage, ChildRequest } from './child.js';
import type { ServerKind } from './servers.js';

const CHILD = new URL('./child.ts', import.meta.url);

/** A child process's death while it should have been serving. */
export class ServerDiedError extends Error {
  override readonly name = 'ServerDiedError';
  constructor(
    readonly code: number | null,
    readonly signal: string | null,
    readonly stderr: string,
  ) {
    super(`server process exited (code ${code}, signal ${signal})${stderr === '' ? '' : `:\n${stderr}`}`);
  }
}

/** The child stopped answering IPC for longer than the timeout. */
export class ServerHangError extends Error {
  override readonly name = 'ServerHangError';
  constructor(
    readonly op: string,
    readonly timeoutMs: number,
  ) {
    super(`server did not answer "${op}" within ${timeoutMs} ms`);
  }
}

/** A running server child. */
export interface ServerProcess {
  readonly kind: ServerKind;
  readonly info: Record<string, unknown>;
  /** Set once the process has exited unexpectedly. */
  readonly died: () => ServerDiedError | undefined;
  /**
   * Ask the child (`rss`, `state`, `check`, `events`).
   * @throws ServerHangError after `timeoutMs`; ServerDiedError when it is dead.
   */
  ask<T>(op: ChildRequest['op'], timeoutMs?: number, arg?: number): Promise<T>;
  /** Close the server and wait for the process to exit (killed after 10 s). */
  close(): Promise<void>;
}

/**
 * Start a server child.
 * @throws ServerDiedError when it exits before it is ready; ServerHangError after `startMs`.
 */
export async function startServerProcess(
  kind: ServerKind,
  seed: number,
  startMs = 120_000,
): Promise<ServerProcess> {
  const child: ChildProcess = fork(CHILD, [kind, String(seed)], {
    execArgv: ['--expose-gc', '--conditions=@fanout/source', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-8000);
  });
  let died: ServerDiedError | undefined;
  let closing = false;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const exited = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      if (!closing || code !== 0) died = new ServerDiedError(code, signal, stderr.trim());
      for (const p of pending.values()) p.reject(died ?? new ServerDiedError(code, signal, ''));
      pending.clear();
      resolve();
    });
  });
  const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ServerHangError('start', startMs)), startMs);
    child.on('message', (raw) => {
      const m = raw as ChildMessage;
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve(m.info);
        return;
      }
      const p = pending.get(m.id);
      if (p === undefined) return;
      pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m.value);
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(died ?? new ServerDiedError(child.exitCode, child.signalCode, stderr.trim()));
    });
  });
  let nextId = 1;
  const ask = <T>(op: ChildRequest['op'], timeoutMs = 60_000, arg?: number): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (died !== undefined) return reject(died);
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new ServerHangError(op, timeoutMs));
      }, timeoutMs);
      pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      child.send({ id, op, ...(arg === undefined ? {} : { arg }) } satisfies ChildRequest);
    });
  return {
    kind,
    info,
    died: () => died,
    ask,
    close: async () => {
      if (died !== undefined || child.exitCode !== null) return;
      closing = true;
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      try {
        await ask('close', 10_000);
      } catch {
        child.kill('SIGKILL');
      }
      await exited;
      clearTimeout(kill);
    },
  };
}
