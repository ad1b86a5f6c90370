/**
 * The coordinator's append-only round log: everything needed to rebuild its state after a crash
 * (nodes, rounds started / decided, every update received or rejected on arrival, scores, ledger
 * lines). A restarted
 * coordinator replays it (recovery.ts) and so counts every received update exactly once and
 * rejects a duplicate or replayed one.
 *
 * The coordinator appends (and awaits the append) before it treats an update as received, and it
 * writes nothing on close, so a crash at any instant leaves a log that is a prefix of what a
 * crash-free run would have written.
 */
import { z } from 'zod';
import { PrimeInputError } from './errors.js';
import { nodeInputSchema } from './registry.js';
import { schemaIssues } from './schema.js';

const num = z.number();
const ids = z.array(z.string());

const updateRecord = z
  .object({
    updateId: z.string(),
    nodeId: z.string(),
    round: num,
    modelVersion: num,
    numSamples: num,
    delta: z.array(num),
    digest: z.string(),
  })
  .strict();

/** One log entry. `at` is the coordinator's clock time, ms. */
export const logEntrySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('node'), at: num, info: nodeInputSchema }).strict(),
  z
    .object({
      type: z.literal('round-started'),
      at: num,
      round: num,
      taskId: z.string(),
      modelVersion: num,
      selected: ids,
      closeAfter: num,
      minUpdates: num,
    })
    .strict(),
  z.object({ type: z.literal('update'), at: num, round: num, update: updateRecord }).strict(),
  z
    .object({
      type: z.literal('rejected'),
      at: num,
      round: num,
      nodeId: z.string(),
      reason: z.string(),
      detail: z.string(),
    })
    .strict(),
  z
    .object({
      type: z.literal('round-committed'),
      at: num,
      round: num,
      modelVersion: num,
      acceptedUpdateIds: ids,
      aggregate: z.array(num),
      params: z.array(num),
    })
    .strict(),
  z.object({ type: z.literal('round-failed'), at: num, round: num, reason: z.string() }).strict(),
  z
    .object({
      type: z.literal('scores'),
      at: num,
      nodeId: z.string(),
      reliability: num,
      performance: num,
      stake: num,
    })
    .strict(),
  z
    .object({
      type: z.literal('ledger'),
      at: num,
      round: num,
      nodeId: z.string(),
      kind: z.enum(['reward', 'slash']),
      amount: num,
      reason: z.string(),
      updateId: z.string().optional(),
    })
    .strict(),
]);
export type LogEntry = z.output<typeof logEntrySchema>;
export type LogEntryInput = z.input<typeof logEntrySchema>;

/**
 * Where the log lives. `append` must be durable when its promise resolves (a file store would
 * fsync); `read` returns every entry appended so far, in order.
 */
export interface RoundLog {
  append(entry: LogEntry): void | Promise<void>;
  read(): readonly unknown[] | Promise<readonly unknown[]>;
}

/**
 * In-memory log that outlives the coordinator object: hand the same instance to the restarted
 * coordinator. Entries are kept as JSON text (as a file would hold them), so what is read back
 * is exactly what JSON can carry.
 */
export class MemoryRoundLog implements RoundLog {
  readonly #lines: string[] = [];

  append(entry: LogEntry): void {
    this.#lines.push(JSON.stringify(entry));
  }

  read(): unknown[] {
    return this.#lines.map((l) => JSON.parse(l) as unknown);
  }

  /** Entries appended so far. */
  get length(): number {
    return this.#lines.length;
  }
}

/**
 * Validate entries read back from a store.
 * @throws PrimeInputError naming the first bad entry path, e.g. 'log.7.update.delta.3'.
 */
export function parseLogEntries(raw: readonly unknown[]): LogEntry[] {
  return raw.map((e, i) => {
    const r = logEntrySchema.safeParse(e);
    if (r.success) return r.data;
    const issues = schemaIssues(r.error, `log.${i}`);
    throw new PrimeInputError(issues[0]?.path ?? `log.${i}`, issues);
  });
}
