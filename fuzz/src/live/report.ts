/**
 * What a live fuzz run of one server records: counts by outcome, findings (each with the input
 * that caused it, also written to a findings file), RSS samples and round checks.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Kinds of live findings; every one fails the run. */
export type FindingKind =
  | 'crash'
  | 'hang'
  | 'leak'
  | 'auth-bypass'
  | 'server-error'
  | 'untyped-rejection'
  | 'canary'
  | 'degraded'
  | 'swallowed-exception'
  | 'internal-error-reply'
  | 'blocked-send'
  | 'malformed-reply';

/** One finding. */
export interface Finding {
  readonly server: string;
  readonly kind: FindingKind;
  readonly detail: string;
  /** The input (request or datagram) as text, cut for the terminal. */
  readonly input?: string;
  /** Where the whole input was written. */
  readonly file?: string;
  /** Round and index of the input in the round (with the seed: regenerates it). */
  readonly round?: number;
  readonly index?: number;
  /**
   * Where the input went: an HTTP endpoint name ('bao', 'coordinator', 'trainer-1'…) or, for a
   * datagram, 'udp:<index of the RAIDA or DHT node>' ('udp:any' when unknown).
   */
  readonly endpoint?: string;
}

/** Collects one server's outcomes and findings. */
export class LiveRecorder {
  readonly outcomes: Record<string, number> = {};
  readonly findings: Finding[] = [];
  readonly checks: string[] = [];
  sent = 0;
  answered = 0;
  /** Findings of one kind + detail shape beyond the first few are only counted. */
  readonly #seen = new Map<string, number>();
  readonly #dir: string;

  constructor(
    readonly server: string,
    findingsDir: string,
    readonly seed: number,
  ) {
    this.#dir = findingsDir;
  }

  /** Count one outcome label. */
  count(label: string, n = 1): void {
    this.outcomes[label] = (this.outcomes[label] ?? 0) + n;
  }

  /**
   * Record a finding; the first 3 of each signature keep their input (written to a file), the
   * rest are counted in `outcomes` as 'finding repeated: <kind>'.
   */
  find(f: Omit<Finding, 'server' | 'file'> & { readonly bytes?: Uint8Array }): void {
    // Same shape = same bug: quoted names, numbers and hex blanked (as decoders/drive.ts signatureOf).
    const signature = `${f.kind}:${f.detail
      .replace(/\\/g, '')
      .replace(/"[^"]{0,40}"/g, '"…"')
      .replace(/'[^']{0,40}'/g, "'…'")
      .replace(/[0-9a-f]{8,}/gi, '#')
      .replace(/\d+/g, '#')
      .slice(0, 80)}`;
    const n = (this.#seen.get(signature) ?? 0) + 1;
    this.#seen.set(signature, n);
    if (n > 3) return this.count(`finding repeated: ${f.kind}`);
    let file: string | undefined;
    if (f.bytes !== undefined) {
      mkdirSync(this.#dir, { recursive: true });
      file = path.join(
        this.#dir,
        `${this.server}-${f.kind}-seed${this.seed}-r${f.round ?? 0}-i${f.index ?? 0}.bin`,
      );
      writeFileSync(file, f.bytes);
      // What replay.ts needs to send it again: the server, its seed, and where it went.
      writeFileSync(
        `${file}.json`,
        `${JSON.stringify({ server: this.server, seed: this.seed, kind: f.kind, detail: f.detail, endpoint: f.endpoint ?? 'udp:any', round: f.round, index: f.index }, null, 2)}\n`,
      );
    }
    const { bytes: _bytes, ...rest } = f;
    this.findings.push({ ...rest, server: this.server, ...(file === undefined ? {} : { file }) });
  }
}

/** Bytes as text for a report line: printable ASCII kept, the rest escaped, cut to `max`. */
export function printable(b: Uint8Array, max = 400): string {
  const s = Buffer.from(b.subarray(0, max))
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, (c) =>
      c === '\r' ? '\\r' : c === '\n' ? '\\n' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
    );
  return b.length > max ? `${s}… (${b.length} bytes)` : s;
}
