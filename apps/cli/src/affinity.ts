/**
 * Which queued share an idle lane (worker process) of `fanout run --jobs N` takes next. A lane
 * keeps to the systems it has already run: every system a lane runs costs that lane the system's
 * module load and the JIT warm-up of its code (a first DHT or FROST run takes 2–4× the CPU of the
 * runs after it), so N lanes that each run every system pay every warm-up N times. With the
 * main job's five systems on two lanes, running each system on one lane where the load allows
 * saved about a tenth of the CPU (measured side by side, when lanes were threads: two processes
 * splitting the systems against one process whose two threads ran everything).
 */

/** The system a scenario belongs to: its name up to the first '.' (the name itself without one). */
export function systemOf(scenario: string): string {
  const dot = scenario.indexOf('.');
  return dot < 0 ? scenario : scenario.slice(0, dot);
}

/**
 * The index in `queue` (the queued shares' systems, oldest first) of the share that lane
 * `lane` takes next, or −1 when the queue is empty. `warm[i]` holds the systems lane i has
 * taken a share of. In order of preference:
 * 1. the oldest share of a system this lane has run (no new warm-up);
 * 2. else the oldest share of a system no lane has run (one lane per system);
 * 3. else the oldest share (the lane helps with another lane's system, paying its warm-up
 *    once, so that the lanes finish together).
 * @throws RangeError when `lane` is not an index of `warm`.
 */
export function pickShare(
  queue: readonly string[],
  lane: number,
  warm: readonly ReadonlySet<string>[],
): number {
  const mine = warm[lane];
  if (mine === undefined) throw new RangeError(`pickShare: no lane ${lane} among ${warm.length}`);
  if (queue.length === 0) return -1;
  const own = queue.findIndex((s) => mine.has(s));
  if (own >= 0) return own;
  const fresh = queue.findIndex((s) => warm.every((w) => !w.has(s)));
  return fresh >= 0 ? fresh : 0;
}
