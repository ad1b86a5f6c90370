/**
 * Progress display of the coordinator rounds, as pure text (the seed's "Interactive Progress
 * Display" and "Non-Interactive Output"; frost-hubert parallel.rs):
 *
 * - interactive (TTY): one line per participant, `⏳ Bob -35s` while a get is pending (countdown to
 *   its timeout), `⏳ Bob +2s` while a put is pending (time spent), `✅ Carol`, `❌ Dan - Rejected:
 *   "Busy right now"`, and a footer `...waiting for 35 more seconds...`. {@link RoundBoard.frame}
 *   renders one frame for a given clock time; the CLI redraws it.
 * - non-interactive (pipe, CI): {@link plainLines} turns each event into lines: `Waiting for N
 *   responses...` when a collect phase starts, then one line per result as it settles.
 *
 * No I/O and no clock here: the caller passes the time.
 */
import type { Xid } from './identity.js';
import type { ParticipantOutcome, RoundEvent, RoundMode, RoundName, RoundPhase } from './rounds.js';

/** How a participant shows on the board. */
export type RowState = 'queued' | 'waiting' | 'success' | 'rejected' | 'error' | 'timeout' | 'cancelled';

/** One participant's line. */
export interface BoardRow {
  readonly xid: Xid;
  readonly name: string;
  state: RowState;
  /** Clock time its call started, ms. */
  startedAt: number | undefined;
  /** Clock time it settled, ms. */
  settledAt: number | undefined;
  /** Reason on rejection / error / timeout / cancel. */
  reason: string | undefined;
}

/** Glyph per state (⏳/✅/❌ as upstream; ⊘ for cancelled, · for not started yet). */
export const GLYPHS: Readonly<Record<RowState, string>> = {
  queued: '·',
  waiting: '⏳',
  success: '✅',
  rejected: '❌',
  error: '❌',
  timeout: '❌',
  cancelled: '⊘',
};

const STATE_OF: Readonly<Record<ParticipantOutcome<unknown>['status'], RowState>> = {
  success: 'success',
  rejected: 'rejected',
  error: 'error',
  timeout: 'timeout',
  cancelled: 'cancelled',
};

/** Names for XIDs: a map or function; unknown XIDs show as their first 8 hex digits. */
export type NameOf = (xid: Xid) => string;

/** `name` for `xid`, falling back to a short XID. */
export function nameResolver(names: ReadonlyMap<Xid, string> | NameOf | undefined): NameOf {
  if (names === undefined) return (x) => x.slice(0, 8);
  if (typeof names === 'function') return names;
  return (x) => names.get(x) ?? x.slice(0, 8);
}

/** Whole seconds, rounded up (a countdown never shows 0 while time is left). */
function ceilSeconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}

/** ` - Rejected: "Busy right now"` etc.: the reason part of a result line ('' for success). */
export function reasonSuffix(state: RowState, reason: string | undefined): string {
  switch (state) {
    case 'rejected':
      return ` - Rejected: ${JSON.stringify(reason ?? '')}`;
    case 'error':
      return ` - Error: ${reason ?? 'unknown error'}`;
    case 'timeout':
      return ` - Timeout: ${reason ?? 'no response'}`;
    case 'cancelled':
      return reason === 'quorum' ? ' - not needed (quorum reached)' : ' - cancelled';
    default:
      return '';
  }
}

/** Seconds with one decimal, e.g. `12.3 s`. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The state of the current phase, fed with {@link RoundEvent}s. A `phase-start` resets it.
 */
export class RoundBoard {
  readonly #name: NameOf;
  #rows: BoardRow[] = [];
  #round: RoundName | undefined;
  #phase: RoundPhase | undefined;
  #mode: RoundMode = 'parallel';
  #timeoutMs = 0;
  #startedAt = 0;
  #endedAt: number | undefined;
  #quorum: number | undefined;

  constructor(names?: ReadonlyMap<Xid, string> | NameOf) {
    this.#name = nameResolver(names);
  }

  /** Rows of the current phase, in target order. */
  get rows(): readonly Readonly<BoardRow>[] {
    return this.#rows;
  }

  get round(): RoundName | undefined {
    return this.#round;
  }

  get phase(): RoundPhase | undefined {
    return this.#phase;
  }

  /** Whether the current phase has ended. */
  get ended(): boolean {
    return this.#endedAt !== undefined;
  }

  /** Update from one event. */
  apply(e: RoundEvent): void {
    switch (e.type) {
      case 'phase-start':
        this.#round = e.round;
        this.#phase = e.phase;
        this.#mode = e.mode;
        this.#timeoutMs = e.timeoutMs;
        this.#startedAt = e.at;
        this.#endedAt = undefined;
        this.#quorum = e.quorum;
        this.#rows = e.targets.map((t) => ({
          xid: t.xid,
          name: this.#name(t.xid),
          state: 'queued',
          startedAt: undefined,
          settledAt: undefined,
          reason: undefined,
        }));
        return;
      case 'participant-start': {
        const r = this.#row(e.xid);
        if (r !== undefined && r.state === 'queued') {
          r.state = 'waiting';
          r.startedAt = e.at;
        }
        return;
      }
      case 'participant-settled': {
        const r = this.#row(e.outcome.xid);
        if (r !== undefined) {
          r.state = STATE_OF[e.outcome.status];
          r.settledAt = e.at;
          r.reason = e.outcome.reason;
        }
        return;
      }
      case 'phase-end':
        this.#endedAt = e.at;
        return;
      default:
        return;
    }
  }

  #row(xid: Xid): BoardRow | undefined {
    return this.#rows.find((r) => r.xid === xid);
  }

  /** The title line, e.g. `dkg round1 — collecting 5 responses (parallel, timeout 600 s)`. */
  title(): string {
    if (this.#round === undefined) return '';
    const what = this.#phase === 'collect' ? 'collecting' : 'sending';
    const noun = this.#phase === 'collect' ? 'responses' : 'requests';
    const quorum = this.#quorum === undefined ? '' : `, quorum exit at ${this.#quorum}`;
    return `${this.#round} — ${what} ${this.#rows.length} ${noun} (${this.#mode}, timeout ${ceilSeconds(this.#timeoutMs)} s${quorum})`;
  }

  /**
   * One TTY frame at clock time `now` (ms): the title, one line per participant, and a footer
   * (`...waiting for N more seconds...` while gets are pending; a summary once the phase ended).
   */
  frame(now: number): string[] {
    if (this.#round === undefined) return [];
    const lines = [this.title()];
    for (const r of this.#rows) {
      let tail = '';
      if (r.state === 'waiting' && r.startedAt !== undefined) {
        tail =
          this.#phase === 'collect'
            ? ` -${ceilSeconds(r.startedAt + this.#timeoutMs - now)}s`
            : ` +${Math.floor(Math.max(0, now - r.startedAt) / 1000)}s`;
      } else if (r.state !== 'queued' && r.state !== 'waiting' && r.settledAt !== undefined) {
        tail = ` (${formatSeconds(r.settledAt - this.#startedAt)})`;
      }
      lines.push(`${GLYPHS[r.state]} ${r.name}${reasonSuffix(r.state, r.reason)}${tail}`);
    }
    lines.push(this.footer(now));
    return lines;
  }

  /** The footer line at clock time `now`. */
  footer(now: number): string {
    const done = this.#rows.filter((r) => r.state === 'success').length;
    if (this.#endedAt !== undefined)
      return `${done}/${this.#rows.length} ${this.#phase === 'collect' ? 'responses' : 'stored'} in ${formatSeconds(this.#endedAt - this.#startedAt)}`;
    const waiting = this.#rows.filter((r) => r.state === 'waiting' && r.startedAt !== undefined);
    if (waiting.length === 0) return '...';
    if (this.#phase === 'send') return `...storing ${waiting.length} request(s)...`;
    const left = Math.max(...waiting.map((r) => r.startedAt! + this.#timeoutMs - now));
    return `...waiting for ${ceilSeconds(left)} more seconds...`;
  }
}

/**
 * Non-interactive output for one event (pipes, CI): a heading and `Waiting for N responses...`
 * (or `Sending N requests...`) when a phase starts, one `✅ name` / `❌ name - Rejected: "…"` line
 * per settled participant (with its time since the phase started), and a summary when it ends.
 * @returns the lines to print (possibly none).
 */
export function plainLines(e: RoundEvent, names?: ReadonlyMap<Xid, string> | NameOf): string[] {
  const name = nameResolver(names);
  switch (e.type) {
    case 'phase-start': {
      const n = e.targets.length;
      const quorum = e.quorum === undefined ? '' : ` (proceeding once ${e.quorum} arrived)`;
      return [
        `[${e.round}: ${e.phase}] ${e.mode}, timeout ${ceilSeconds(e.timeoutMs)} s per participant`,
        e.phase === 'collect' ? `Waiting for ${n} responses...${quorum}` : `Sending ${n} requests...`,
      ];
    }
    case 'participant-settled': {
      const o = e.outcome;
      const state = STATE_OF[o.status];
      return [
        `${GLYPHS[state]} ${name(o.xid)}${reasonSuffix(state, o.reason)} (${formatSeconds(o.durationMs)})`,
      ];
    }
    case 'quorum-met':
      return [`quorum of ${e.count} reached`];
    case 'participant-retry':
      return [`… ${name(e.xid)}: retrying after "${e.error}"`];
    case 'phase-end': {
      const r = e.report;
      return [
        `${r.successes.length} ok, ${r.rejections.length} rejected, ${r.errors.length} errors, ${r.timeouts.length} timeouts` +
          `${r.cancelled.length > 0 ? `, ${r.cancelled.length} cancelled` : ''}` +
          `${r.pending !== undefined && r.pending.length > 0 ? `, ${r.pending.length} still being stored in the background` : ''}` +
          ` in ${formatSeconds(r.elapsedMs)}`,
      ];
    }
    default:
      return [];
  }
}
