/**
 * Keeps the engine's hidden classes alive for the life of the process (internal, side effect only).
 *
 * V8 gives each class's instances a hidden class (a "map"); optimized code and type feedback refer
 * to maps weakly. When a full GC runs while no instance of the engine's classes is alive — between
 * two fan-outs of a service that runs one per request, or in a benchmark that forces a GC before
 * each sample — the maps are collected, every optimized engine function that checked them is
 * deoptimized ("weak objects"), their feedback is cleared, and the next fan-out runs in the
 * interpreter until V8 optimizes it again. Seen with `node --trace-deopt` on bench/core.bench.ts:
 * about ten engine functions deoptimized after every forced GC; the 100k-target keyed fan-out at
 * c=64 took 740–960 ns per target against 450–500 with the maps kept.
 *
 * So one tiny fan-out runs when the module loads and its objects are kept: the engine, one
 * attempt (the call context, with its signal read and an abort-hook listener), the outcome table
 * and id index, the result, its byId view and one outcome; and one aborted AbortController with
 * the 'abort' event its listener got (Node's own AbortSignal/Event maps). It makes no timer and no I/O (the call answers synchronously); `realClock.now()` is
 * read a few times. Its fields hold the most general value kinds the engine stores (a fractional
 * start time, strings and numbers), so later fan-outs find the same maps rather than new ones.
 * Cost: a few hundred bytes, kept. Tested in test/shape-anchor.test.ts.
 */
import { realClock } from './clock.js';
import { fanOut } from './fan-out.js';

const kept: unknown[] = [];

const run = fanOut(
  ['anchor'],
  (target: string, ctx) => {
    ctx.signal.addEventListener('abort', (event) => kept.push(event), { once: true });
    ctx.onAbort(() => undefined);
    kept.push(ctx);
    return target;
  },
  { key: (target: string) => target, concurrency: 1, clock: realClock },
);
kept.push(run);
void run.then((result) => {
  kept.push(result, result.byId, result.byId.get('anchor'));
  const ctl = new AbortController();
  ctl.signal.addEventListener('abort', (event) => kept.push(event), { once: true });
  ctl.abort(new Error('anchor'));
  kept.push(ctl);
});

/** The anchored objects (for the test). */
export const anchoredObjects: readonly unknown[] = kept;
