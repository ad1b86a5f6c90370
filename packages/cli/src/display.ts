/**
 * Progress display: on a TTY a live per-target board (log-update, redrawn at most every 100 ms);
 * elsewhere (CI, pipes) one plain line per event.
 */
import logUpdate from 'log-update';
import pc from 'picocolors';
import type { FanOutEvent } from '@fanout/core';

/** Per-target state shown on the board. */
type Cell = 'idle' | 'waiting' | 'ok' | 'rejected' | 'failed' | 'timedOut' | 'cancelled';

const GLYPH: Record<Cell, string> = {
  idle: pc.dim('·'),
  waiting: pc.yellow('⏳'),
  ok: pc.green('✅'),
  rejected: pc.red('❌'),
  failed: pc.red('✖'),
  timedOut: pc.magenta('⌛'),
  cancelled: pc.dim('⊘'),
};

/**
 * A board of N targets (e.g. 25 RAIDA): one cell per target, the current command and run.
 * `interactive` false → plain lines, one per settled target.
 */
export class TargetBoard {
  #cells: Cell[];
  #labels: string[];
  readonly #interactive: boolean;
  readonly #write: (line: string) => void;
  #title = '';
  #lastDraw = 0;
  #dirty = false;

  constructor(labels: readonly string[], options: { interactive: boolean; write?: (line: string) => void }) {
    this.#labels = [...labels];
    this.#cells = labels.map(() => 'idle');
    this.#interactive = options.interactive;
    this.#write = options.write ?? ((l) => console.log(l));
  }

  /** Start a new round (command) with a title; all cells reset to idle. */
  round(title: string): void {
    this.#title = title;
    this.#cells.fill('idle');
    this.#dirty = true;
    if (!this.#interactive) this.#write(`${title}`);
  }

  /**
   * Feed a fan-out event whose target index is the board position. A `started` event for a fan-out
   * of a different size resizes the board (labels become the target indexes); settled lines name the
   * outcome's id, so one board serves scenarios of any system.
   */
  event(e: FanOutEvent<unknown, unknown>, nowMs: number): void {
    if (e.type === 'started' && e.total !== this.#cells.length) {
      this.#cells = Array.from({ length: e.total }, () => 'idle');
      this.#labels = Array.from({ length: e.total }, (_, i) => String(i));
    }
    if (e.type === 'attempt') this.#cells[e.index] = 'waiting';
    else if (e.type === 'settled') {
      const s = e.outcome.status;
      this.#cells[e.index] = s === 'fulfilled' ? 'ok' : s;
      if (!this.#interactive) {
        const why =
          'error' in e.outcome && e.outcome.error instanceof Error ? ` (${e.outcome.error.message})` : '';
        this.#write(`  ${e.id} ${s} at ${e.at.toFixed(1)} ms${why}`);
      }
    } else if (e.type === 'quorum-met' && !this.#interactive)
      this.#write(`  quorum met at ${e.at.toFixed(1)} ms`);
    this.#dirty = true;
    if (this.#interactive && nowMs - this.#lastDraw >= 100) this.draw(nowMs);
  }

  /** Redraw now (TTY only). */
  draw(nowMs: number): void {
    if (!this.#interactive || !this.#dirty) return;
    this.#lastDraw = nowMs;
    this.#dirty = false;
    const row = this.#cells.map((c) => GLYPH[c]).join(' ');
    const ids = this.#labels.map((l) => l.padStart(2).slice(-2)).join(' ');
    logUpdate(`${pc.bold(this.#title)}\n${pc.dim(ids)}\n${row}`);
  }

  /** Leave the last frame on screen. */
  done(): void {
    if (this.#interactive) {
      this.#dirty = true;
      this.draw(Infinity);
      logUpdate.done();
    }
  }
}
