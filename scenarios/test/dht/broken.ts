/**
 * Deliberately broken retrieval clients, as test seams of the DHT scenarios (`retrieve`): each
 * wraps the real retrieveOfflineMessages and makes one mistake a real client could make, so the
 * tests can show that the guarantees — and the trace hash — catch it.
 */
import {
  retrieveOfflineMessages,
  type ContactResult,
  type OfflineReport,
  type OfflineRetrieval,
} from '@fanout/dht';
import type { RetrieveFn } from '../../src/dht/index.js';

/** A retrieval whose results pass through `f` (progressive results and the report alike). */
function mapped(run: OfflineRetrieval, f: (r: ContactResult) => ContactResult): OfflineRetrieval {
  const memo = new Map<number, ContactResult>();
  const g = (r: ContactResult): ContactResult => {
    let m = memo.get(r.index);
    if (m === undefined) memo.set(r.index, (m = f(r)));
    return m;
  };
  const result = run.result.then((report): OfflineReport => {
    const contacts = report.contacts.map(g);
    const counts = { ...report.counts };
    for (const [i, c] of contacts.entries()) {
      counts[report.contacts[i]!.status]--;
      counts[c.status]++;
    }
    return { ...report, contacts, counts, bySender: new Map(contacts.map((c) => [c.sender, c])) };
  });
  return {
    result,
    then: (onfulfilled, onrejected) => result.then(onfulfilled, onrejected),
    abort: (reason) => run.abort(reason),
    [Symbol.asyncIterator]() {
      const it = run[Symbol.asyncIterator]();
      return {
        next: async () => {
          const n = await it.next();
          return n.done === true ? n : { done: false, value: g(n.value) };
        },
        return: async () => (await it.return?.()) ?? { done: true, value: undefined },
      };
    },
  };
}

/**
 * The absence bug: an outbox whose likely holders did not answer ('timeout' /
 * 'holders-unreachable') reported as 'not-found' (and so cached as empty for 10 minutes).
 */
export const absenceBug: RetrieveFn = (contacts, options) =>
  mapped(retrieveOfflineMessages(contacts, options), (r) =>
    r.status === 'timeout' && r.reason === 'holders-unreachable'
      ? { ...r, status: 'not-found', reason: undefined, error: undefined }
      : r,
  );

/** The expiry filter disabled: the client reads as if it were the epoch (every message unexpired). */
export const noExpiryFilter: RetrieveFn = (contacts, options) =>
  retrieveOfflineMessages(contacts, { ...options, nowSeconds: 0 });
