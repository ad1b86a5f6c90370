/**
 * Plain-JSON forms of a round report (for HTTP routes, replay files and the CLI): maps become
 * arrays in selection order, Float64Arrays become number arrays.
 */
import type { NodeOutcome, RoundReport } from './state.js';

/** A {@link RoundReport} as JSON-safe data. */
export type RoundReportJson = Omit<
  RoundReport,
  'outcomes' | 'aggregate' | 'reference' | 'acceptedUpdates'
> & {
  outcomes: NodeOutcome[];
  aggregate: number[] | undefined;
  reference: number[] | undefined;
  acceptedUpdates: {
    updateId: string;
    nodeId: string;
    numSamples: number;
    delta: number[];
    digest: string;
  }[];
};

/** Convert a report to JSON-safe data (nothing is lost but the typed-array types). */
export function roundReportToJson(r: RoundReport): RoundReportJson {
  return {
    ...r,
    outcomes: [...r.outcomes.values()],
    aggregate: r.aggregate === undefined ? undefined : Array.from(r.aggregate),
    reference: r.reference === undefined ? undefined : Array.from(r.reference),
    acceptedUpdates: r.acceptedUpdates.map((u) => ({
      updateId: u.updateId,
      nodeId: u.nodeId,
      numSamples: u.numSamples,
      delta: Array.from(u.delta),
      digest: u.digest,
    })),
  };
}
