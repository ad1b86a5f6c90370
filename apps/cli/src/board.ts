/**
 * The one progress board of the CLI, fed by scenario events (phases and fan-out events) from any
 * system: on a TTY a live per-target grid (log-update, redrawn at most every 100 ms of wall
 * time); elsewhere (CI, pipes) plain lines — the phase, `Waiting for N responses...` when a
 * fan-out starts, one line per settled target, and quorum/deadline decisions. The terminal
 * renderer (log-update) is loaded only for a TTY board ({@link Board.open}).
 */
import pc from 'picocolors';
import type { FanOutEvent } from '@fanout/core';
import type { ScenarioEvent } from '@fanout/scenarios';

/** Per-target state shown on the board. */
type Cell = 'idle' | 'waiting' | 'fulfilled' | 'rejected' | 'failed' | 'timedOut' | 'cancelled';

const GLYPH: Record<Cell, string> = {
  idle: pc.dim('·'),
  waiting: pc.yellow('⏳'),
  fulfilled: pc.green('✅'),
  rejected: pc.red('❌'),
  failed: pc.red('✖'),
  timedOut: pc.magenta('⌛'),
  cancelled: pc.dim('⊘'),
};

/** Options of {@link Board}. */
export interface BoardOptions {
  /** Redraw a grid (TTY) rather than print lines. */
  readonly interactive: boolean;
  /** Print per-target lines when not interactive (default true). */
  readonly lines?: boolean;
  readonly write?: (line: string) => void;
  /** Wall-clock reader for the redraw throttle. */
  readonly now: () => number;
}

/** What redraws the grid in place on a TTY (log-update's interface). */
export interface Display {
  (text: string): void;
  done(): void;
}

/** See the module docstring. */
export class Board {
  #title = '';
  #command = '';
  #labels: string[] = [];
  #cells: Cell[] = [];
  #t0 = 0;
  #lastDraw = -Infinity;
  #dirty = false;
  readonly #o: Required<BoardOptions>;
  readonly #display: Display | undefined;

  /** A board drawing on `display` when interactive (without one, an interactive board draws nothing). */
  constructor(o: BoardOptions, display?: Display) {
    this.#o = { lines: true, write: (l) => console.log(l), ...o };
    this.#display = display;
  }

  /** A board, with the terminal renderer loaded when it is interactive. */
  static async open(o: BoardOptions): Promise<Board> {
    return new Board(o, o.interactive ? (await import('log-update')).default : undefined);
  }

  /** Set the heading (e.g. `raida.no-hol run 3/100`). */
  title(text: string): void {
    this.#title = text;
    this.#dirty = true;
  }

  /** Feed one scenario event. */
  event(e: ScenarioEvent): void {
    if (e.type === 'phase') {
      if (!this.#o.interactive && this.#o.lines) this.#o.write(`[${e.name}]`);
      this.#title = e.name;
      this.#dirty = true;
    } else this.#fanOut(e.command, e.event, e.labels);
    if (this.#o.interactive && this.#o.now() - this.#lastDraw >= 100) this.draw();
  }

  #fanOut(command: string, e: FanOutEvent<unknown, unknown>, labels: readonly string[] | undefined): void {
    const lines = !this.#o.interactive && this.#o.lines;
    if (e.type === 'started') {
      this.#command = command;
      this.#cells = Array.from({ length: e.total }, () => 'idle');
      this.#labels = Array.from({ length: e.total }, (_, i) => labels?.[i] ?? String(i));
      this.#t0 = e.at;
      if (lines) this.#o.write(`${command}: Waiting for ${e.total} responses...`);
    } else if (e.type === 'attempt') {
      if (e.index < this.#cells.length) this.#cells[e.index] = 'waiting';
    } else if (e.type === 'settled') {
      const s = e.outcome.status;
      if (e.index < this.#cells.length) this.#cells[e.index] = s;
      if (lines) {
        const label = labels?.[e.index] ?? e.id;
        const why =
          'error' in e.outcome && e.outcome.error instanceof Error ? ` (${e.outcome.error.message})` : '';
        this.#o.write(`  ${GLYPH[s]} ${label} ${s} at ${(e.at - this.#t0).toFixed(1)} ms${why}`);
      }
    } else if (e.type === 'quorum-met' && lines)
      this.#o.write(`  quorum met at ${(e.at - this.#t0).toFixed(1)} ms`);
    else if (e.type === 'deadline' && lines)
      this.#o.write(`  deadline passed at ${(e.at - this.#t0).toFixed(1)} ms`);
    this.#dirty = true;
  }

  /** Redraw now (TTY only). */
  draw(): void {
    if (!this.#o.interactive || !this.#dirty) return;
    this.#lastDraw = this.#o.now();
    this.#dirty = false;
    this.#display?.(this.#grid(true));
  }

  #grid(colour: boolean): string {
    const rows: string[] = [];
    for (let i = 0; i < this.#cells.length; i += 25) {
      const ids = this.#labels.slice(i, i + 25).map((l) => l.padStart(2).slice(-2));
      rows.push(colour ? pc.dim(ids.join(' ')) : ids.join(' '));
      rows.push(
        this.#cells
          .slice(i, i + 25)
          .map((c) => GLYPH[c])
          .join(' '),
      );
    }
    const head = [this.#title, this.#command].filter(Boolean).join(' · ');
    return `${colour ? pc.bold(head) : head}\n${rows.join('\n')}`;
  }

  /**
   * The state of the last fan-out, one line per target (for an interrupted run):
   * `  ⊘ Bob cancelled`.
   */
  picture(): string[] {
    return this.#cells.map((c, i) => `  ${GLYPH[c]} ${this.#labels[i]} ${c === 'idle' ? 'not started' : c}`);
  }

  /** Leave the last frame on screen (TTY). */
  done(): void {
    if (this.#o.interactive) {
      this.#dirty = true;
      this.draw();
      this.#display?.done();
    }
  }
}
