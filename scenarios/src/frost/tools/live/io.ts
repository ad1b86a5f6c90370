/**
 * The tools' live edge: the wall clock shared by separate processes (epoch ms, so a message sealed
 * by one process is judged by another's clock), cryptographic randomness, the Hubert HTTP client,
 * and the files (read, and written atomically: a temporary file in the same folder, then rename).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Clock, TimerHandle } from '@fanout/core';
import type { FrostKv, Rng } from '@fanout/frost';
import { HubertHttpClient } from '@fanout/sim-hubert';
import { ToolInputError, type ToolFileError } from '../errors.js';

/** Wall clock in epoch ms (Date.now) with host timers: the same reading in every process. */
export const epochClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = (): void => {
        clearTimeout(t);
        reject(signal!.reason);
      };
      const t = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms || 0),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
  setTimer: (fn, ms) => setTimeout(fn, Math.max(0, ms || 0)) as unknown as TimerHandle,
  clearTimer: (h) => clearTimeout(h as unknown as ReturnType<typeof setTimeout>),
};

/** Cryptographic randomness (node:crypto) as the FROST code's {@link Rng}. */
export const cryptoRng: Rng = (n) => new Uint8Array(randomBytes(n));

/** ISO 8601 text of an epoch-ms time. */
export const isoTime = (ms: number): string => new Date(ms).toISOString();

/**
 * A Hubert HTTP client on `url` (hubert-rust ServerKv: 1000 ms polls unless `pollMs`).
 * @throws HubertArgumentError when `url` is not a URL.
 */
export function hubertKv(url: string, pollMs?: number): FrostKv {
  return new HubertHttpClient({
    baseUrl: url,
    fetch: (request) => fetch(request),
    clock: epochClock,
    ...(pollMs === undefined ? {} : { pollIntervalMs: pollMs }),
  });
}

/**
 * Read a file as UTF-8 and decode it.
 * @throws the error of `fileError` naming `(root)` when the file cannot be read; whatever `decode` throws.
 */
export function readDecoded<T>(
  path: string,
  decode: (text: string, path: string) => T,
  fileError: (path: string, field: string, detail: string) => ToolFileError,
): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw fileError(
      path,
      '(root)',
      `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  return decode(text, path);
}

/**
 * Refuse a file that already exists.
 * @throws ToolInputError naming `option`.
 */
export function assertAbsent(path: string, option: string): void {
  if (existsSync(path)) throw new ToolInputError(option, `${path} already exists (pick a new file)`);
}

/**
 * Write `text` to `path` atomically: a temporary file beside it (mode 0600: these files hold
 * secret keys), then a rename over the target, so a reader sees the old or the new file, never
 * half of one.
 * @param exclusive refuse to replace an existing file (ToolInputError naming `option`).
 */
export function writeAtomic(path: string, text: string, exclusive?: { option: string }): void {
  if (exclusive !== undefined) assertAbsent(path, exclusive.option);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
