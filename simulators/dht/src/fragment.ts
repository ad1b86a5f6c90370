import type { Clock, TimerHandle } from '@fanout/core';

/**
 * Fragmentation of frames for real UDP (the live tier only; the simulated network carries any
 * size). A frame larger than `maxPayload` bytes (default 8 KiB, OpenDHT's own
 * MAX_PACKET_VALUE_SIZE: it too sends bigger values in parts) is split into fragments:
 *
 *     offset  size  field
 *     0       4     magic  "FDHF" (0x46 0x44 0x48 0x46)
 *     4       1     version 1
 *     5       4     message id (u32, per sending socket)
 *     9       2     index  (u16, 0-based)
 *     11      2     count  (u16, 2..MAX_FRAGMENTS)
 *     13      n     payload bytes
 *
 * Smaller frames travel as they are. The receiver reassembles by (source address, message id)
 * and hands on complete frames only; incomplete ones are dropped after `ttlMs`, and the memory
 * they hold is bounded per receiver (see {@link Reassembler}), not only per frame.
 */

export const FRAGMENT_MAGIC = Uint8Array.of(0x46, 0x44, 0x48, 0x46);
export const FRAGMENT_HEADER_BYTES = 13;
/** Default fragment payload: 8 KiB. */
export const DEFAULT_FRAGMENT_BYTES = 8192;
/** Most fragments per frame (128 × 8 KiB = 1 MiB, the frame cap). */
export const MAX_FRAGMENTS = 128;

/** Default bound on the fragment bytes one {@link Reassembler} holds at once: 8 MiB. */
export const DEFAULT_REASSEMBLY_BYTES = 8 * 1024 * 1024;

/**
 * A frame cannot be fragmented (too large for MAX_FRAGMENTS parts), or a fragmentation /
 * reassembly option is invalid. `field` names it.
 */
export class FragmentError extends Error {
  override readonly name = 'FragmentError';
  constructor(
    readonly field: 'frame' | 'maxPayload' | 'ttlMs' | 'maxInProgress' | 'maxBufferedBytes',
    detail: string,
  ) {
    super(`fragment ${field}: ${detail}`);
  }
}

/**
 * Split `frame` into datagrams of at most `maxPayload` + 13 bytes (or return it whole).
 * @throws FragmentError when maxPayload is not an integer in 512..65000 or the frame needs
 *   more than {@link MAX_FRAGMENTS} parts.
 */
export function fragmentFrame(
  frame: Uint8Array,
  messageId: number,
  maxPayload = DEFAULT_FRAGMENT_BYTES,
): Uint8Array[] {
  if (!Number.isInteger(maxPayload) || maxPayload < 512 || maxPayload > 65000)
    throw new FragmentError('maxPayload', `must be an integer in 512..65000, got ${maxPayload}`);
  if (frame.length <= maxPayload) return [frame];
  const count = Math.ceil(frame.length / maxPayload);
  if (count > MAX_FRAGMENTS)
    throw new FragmentError('frame', `${frame.length} bytes need ${count} fragments, over ${MAX_FRAGMENTS}`);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const part = frame.subarray(i * maxPayload, Math.min(frame.length, (i + 1) * maxPayload));
    const d = new Uint8Array(FRAGMENT_HEADER_BYTES + part.length);
    const view = new DataView(d.buffer);
    d.set(FRAGMENT_MAGIC, 0);
    d[4] = 1;
    view.setUint32(5, messageId >>> 0);
    view.setUint16(9, i);
    view.setUint16(11, count);
    d.set(part, FRAGMENT_HEADER_BYTES);
    out.push(d);
  }
  return out;
}

interface Partial {
  readonly source: string;
  readonly parts: (Uint8Array | undefined)[];
  received: number;
  /** Payload bytes held. */
  bytes: number;
  readonly timer: TimerHandle;
}

/** Counters of a {@link Reassembler}. */
export interface ReassemblerStats {
  /** Frames completed from fragments. */
  reassembled: number;
  /** Fragments with a bad header, or inconsistent with the others of their message. */
  invalid: number;
  /** Incomplete messages dropped (timeout, too many in progress, or over the byte bound). */
  expired: number;
  /** Incomplete messages dropped to stay under `maxBufferedBytes` (also counted in `expired`). */
  evictedForBytes: number;
}

/** Options of {@link Reassembler}. */
export interface ReassemblerOptions {
  /** Timers for the incomplete-message timeout. */
  readonly clock: Clock;
  /** An incomplete message is dropped this many ms after its first fragment (> 0, default 10,000). */
  readonly ttlMs?: number;
  /** Incomplete messages held at most (integer ≥ 1, default 256); the oldest goes first. */
  readonly maxInProgress?: number;
  /**
   * Fragment payload bytes held at most, over all sources (integer ≥ 65,536, default
   * {@link DEFAULT_REASSEMBLY_BYTES} = 8 MiB). When a fragment would pass it, incomplete messages
   * are dropped, oldest first, from the source holding the most bytes (so one flooding source
   * loses its own messages first); a fragment that still does not fit is dropped.
   */
  readonly maxBufferedBytes?: number;
}

function checkOption(field: 'ttlMs' | 'maxInProgress' | 'maxBufferedBytes', v: number, ok: boolean): number {
  if (!ok) throw new FragmentError(field, `invalid value ${v}`);
  return v;
}

/**
 * Reassembles fragmented frames per source (see the file comment). Memory is bounded three
 * ways: per message (MAX_FRAGMENTS parts), per receiver in messages (`maxInProgress`) and per
 * receiver in bytes (`maxBufferedBytes`) — without the last, 40 incomplete 127-fragment messages
 * held ~40 MiB of payload in one node.
 */
export class Reassembler {
  readonly stats: ReassemblerStats = { reassembled: 0, invalid: 0, expired: 0, evictedForBytes: 0 };
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #maxInProgress: number;
  readonly #maxBytes: number;
  /** Incomplete messages in arrival order of their first fragment (Map order = oldest first). */
  readonly #partials = new Map<string, Partial>();
  /** Payload bytes held per source. */
  readonly #bySource = new Map<string, number>();
  #bytes = 0;

  /**
   * @throws FragmentError('ttlMs' | 'maxInProgress' | 'maxBufferedBytes') for an invalid option
   *   (ttlMs not finite > 0; maxInProgress not an integer ≥ 1; maxBufferedBytes not an integer ≥ 65,536).
   */
  constructor(options: ReassemblerOptions) {
    this.#clock = options.clock;
    const ttl = options.ttlMs ?? 10_000;
    this.#ttlMs = checkOption('ttlMs', ttl, ttl > 0 && Number.isFinite(ttl));
    const inProgress = options.maxInProgress ?? 256;
    this.#maxInProgress = checkOption(
      'maxInProgress',
      inProgress,
      Number.isInteger(inProgress) && inProgress >= 1,
    );
    const bytes = options.maxBufferedBytes ?? DEFAULT_REASSEMBLY_BYTES;
    this.#maxBytes = checkOption('maxBufferedBytes', bytes, Number.isInteger(bytes) && bytes >= 65_536);
  }

  /**
   * Feed one datagram from `source` (any stable key, e.g. "host:port"). Returns a whole frame
   * when `datagram` is unfragmented or completes a message, else undefined. Never throws.
   */
  accept(datagram: Uint8Array, source: string): Uint8Array | undefined {
    const isFragment =
      datagram.length >= FRAGMENT_HEADER_BYTES && FRAGMENT_MAGIC.every((b, i) => datagram[i] === b);
    if (!isFragment) return datagram;
    const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
    const id = view.getUint32(5);
    const index = view.getUint16(9);
    const count = view.getUint16(11);
    if (datagram[4] !== 1 || count < 2 || count > MAX_FRAGMENTS || index >= count) {
      this.stats.invalid++;
      return undefined;
    }
    const key = `${source}/${id}`;
    let p = this.#partials.get(key);
    if (p !== undefined && p.parts.length !== count) {
      this.stats.invalid++;
      return undefined;
    }
    if (p !== undefined && p.parts[index] !== undefined) return undefined; // duplicate fragment
    const size = datagram.length - FRAGMENT_HEADER_BYTES;
    if (!this.#makeRoom(size, key)) return undefined;
    if (p === undefined) {
      if (this.#partials.size >= this.#maxInProgress) this.#drop(this.#partials.keys().next().value!);
      const timer = this.#clock.setTimer(() => this.#drop(key), this.#ttlMs);
      p = {
        source,
        parts: new Array<Uint8Array | undefined>(count).fill(undefined),
        received: 0,
        bytes: 0,
        timer,
      };
      this.#partials.set(key, p);
    }
    p.parts[index] = datagram.slice(FRAGMENT_HEADER_BYTES);
    p.received++;
    this.#account(p, size);
    if (p.received < count) return undefined;
    this.#forget(key, p);
    const total = p.parts.reduce((n, x) => n + x!.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const x of p.parts) {
      out.set(x!, o);
      o += x!.length;
    }
    this.stats.reassembled++;
    return out;
  }

  #account(p: Partial, delta: number): void {
    p.bytes += delta;
    this.#bytes += delta;
    const left = (this.#bySource.get(p.source) ?? 0) + delta;
    if (left > 0) this.#bySource.set(p.source, left);
    else this.#bySource.delete(p.source);
  }

  /** Remove a partial from the tables (timer cleared, bytes released). */
  #forget(key: string, p: Partial): void {
    this.#clock.clearTimer(p.timer);
    this.#partials.delete(key);
    this.#account(p, -p.bytes);
  }

  #drop(key: string): void {
    const p = this.#partials.get(key);
    if (p === undefined) return;
    this.#forget(key, p);
    this.stats.expired++;
  }

  /**
   * Drop incomplete messages until `size` more bytes fit under the bound: each time the oldest
   * message of the source holding the most bytes, the message `key` being filled only when its
   * source has no other. False (the fragment is to be dropped) when `key` itself had to go or
   * nothing is left to drop.
   */
  #makeRoom(size: number, key: string): boolean {
    while (this.#bytes + size > this.#maxBytes) {
      let heaviest: string | undefined;
      let most = 0;
      for (const [src, n] of this.#bySource)
        if (n > most) {
          most = n;
          heaviest = src;
        }
      let victim: string | undefined;
      for (const [k, p] of this.#partials) {
        if (p.source !== heaviest || p.bytes === 0) continue;
        victim = k;
        if (k !== key) break;
      }
      if (victim === undefined) return false;
      this.#drop(victim);
      this.stats.evictedForBytes++;
      if (victim === key) return false;
    }
    return true;
  }

  /** Messages waiting for fragments. */
  get inProgress(): number {
    return this.#partials.size;
  }

  /** Fragment payload bytes held for incomplete messages (≤ `maxBufferedBytes`). */
  get bufferedBytes(): number {
    return this.#bytes;
  }

  /** Drop everything and clear the timers. */
  close(): void {
    for (const p of this.#partials.values()) this.#clock.clearTimer(p.timer);
    this.#partials.clear();
    this.#bySource.clear();
    this.#bytes = 0;
  }
}
