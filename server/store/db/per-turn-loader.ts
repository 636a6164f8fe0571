import DataLoader from "dataloader";

/**
 * A DataLoader that sends what one turn of the event loop asked for as one
 * batch: one database round trip for a storm of callers instead of one each,
 * while a lone caller waits for nothing (setImmediate runs right after the
 * I/O of the current turn). No cache: every call reads (or writes) afresh.
 */
export function perTurnLoader<K, V>(batch: (keys: readonly K[]) => Promise<V[]>, maxBatchSize = 500): DataLoader<K, V> {
  return new DataLoader<K, V>(batch, { cache: false, maxBatchSize, batchScheduleFn: (run) => setImmediate(run) });
}
