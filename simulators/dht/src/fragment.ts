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
 * and hands on complete frames only; incomplete ones are dropped after `ttlMs`.
 */

export const FRAGMENT_MAGIC = Uint8Array.of(0x46, 0x44, 0x48, 0x46);
export const FRAGMENT_HEADER_BYTES = 13;
/** Default fragment payload: 8 KiB. */
export const DEFAULT_FRAGMENT_BYTES = 8192;
/** Most fragments per frame (128 × 8 KiB = 1 MiB, the frame cap). */
export const MAX_FRAGMENTS = 128;

/** A frame cannot be fragmented (too large for MAX_FRAGMENTS parts). */
export class FragmentError extends Error {
  override readonly name = 'FragmentError';
  constructor(
    readonly field: 'frame' | 'maxPayload',
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
  readonly parts: (Uint8Array | undefined)[];
  received: number;
  readonly timer: TimerHandle;
}

/** Counters of a {@link Reassembler}. */
export interface ReassemblerStats {
  /** Frames completed from fragments. */
  reassembled: number;
  /** Fragments with a bad header, or inconsistent with the others of their message. */
  invalid: number;
  /** Incomplete messages dropped (timeout or too many in progress). */
  expired: number;
}

/** Reassembles fragmented frames per source (see the file comment). */
export class Reassembler {
  readonly stats: ReassemblerStats = { reassembled: 0, invalid: 0, expired: 0 };
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #maxInProgress: number;
  readonly #partials = new Map<string, Partial>();

  /** @param options ttlMs (default 10 s) and maxInProgress (default 256) bound the memory held. */
  constructor(options: { clock: Clock; ttlMs?: number; maxInProgress?: number }) {
    this.#clock = options.clock;
    this.#ttlMs = options.ttlMs ?? 10_000;
    this.#maxInProgress = options.maxInProgress ?? 256;
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
    if (p === undefined) {
      if (this.#partials.size >= this.#maxInProgress) {
        const oldest = this.#partials.keys().next().value!;
        this.#drop(oldest);
      }
      const timer = this.#clock.setTimer(() => this.#drop(key), this.#ttlMs);
      p = { parts: new Array<Uint8Array | undefined>(count).fill(undefined), received: 0, timer };
      this.#partials.set(key, p);
    }
    if (p.parts.length !== count) {
      this.stats.invalid++;
      return undefined;
    }
    if (p.parts[index] !== undefined) return undefined; // duplicate fragment
    p.parts[index] = datagram.slice(FRAGMENT_HEADER_BYTES);
    p.received++;
    if (p.received < count) return undefined;
    this.#clock.clearTimer(p.timer);
    this.#partials.delete(key);
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

  #drop(key: string): void {
    const p = this.#partials.get(key);
    if (p === undefined) return;
    this.#clock.clearTimer(p.timer);
    this.#partials.delete(key);
    this.stats.expired++;
  }

  /** Messages waiting for fragments. */
  get inProgress(): number {
    return this.#partials.size;
  }

  /** Drop everything and clear the timers. */
  close(): void {
    for (const p of this.#partials.values()) this.#clock.clearTimer(p.timer);
    this.#partials.clear();
  }
}
