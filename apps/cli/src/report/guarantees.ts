/**
 * The guarantees of a saved run, as a report shows them: a replay file keeps only the violated
 * checks, as `<name>: <detail>` lines (scenarios/src/kernel/io/replay-files.ts); the scenario
 * declares the rest. Held checks read back from a file carry no detail (the run's own confirmation
 * text is not saved; `fanout replay FILE` prints it).
 */
import { KERNEL_CHECKS, type GuaranteeCheck } from '@fanout/scenarios';

/**
 * The checks of a run from its recorded violation text and its scenario's declared guarantees.
 * @param violation the replay file's `violation` (undefined or '': nothing violated)
 * @param declared the scenario's guarantee names, in declaration order; undefined when the
 *   scenario is unknown here (then only the violated checks are listed)
 * @returns declared checks in order (held unless named in the text), then violated checks the
 *   scenario does not declare (the kernel's 'ran-to-completion', 'declared-guarantees').
 *   A line that does not start a known check continues the previous check's detail (stack traces).
 */
export function checksFromViolation(
  violation: string | undefined,
  declared: readonly string[] | undefined,
): GuaranteeCheck[] {
  const known = new Set([...(declared ?? []), ...Object.values(KERNEL_CHECKS)]);
  const violated = new Map<string, string>();
  let current: string | undefined;
  for (const line of (violation ?? '').split('\n')) {
    const m = /^([^\s:][^:]*): ?(.*)$/.exec(line);
    const starts = m !== null && (declared === undefined ? /^[\w.-]+$/.test(m[1]!) : known.has(m[1]!));
    if (starts) {
      current = m[1]!;
      violated.set(current, violated.has(current) ? `${violated.get(current)!}\n${m[2]!}` : m[2]!);
    } else if (current !== undefined) violated.set(current, `${violated.get(current)!}\n${line}`);
    else if (line.trim() !== '') violated.set(line, '');
  }
  const out: GuaranteeCheck[] = (declared ?? []).map((name) =>
    violated.has(name) ? { name, held: false, detail: violated.get(name)! } : { name, held: true },
  );
  for (const [name, detail] of violated)
    if (!(declared ?? []).includes(name)) out.push({ name, held: false, detail });
  return out;
}
