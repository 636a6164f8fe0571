// What presence needs to know about rooms, cached per node for a few seconds:
// member counts (big rooms are told by subscription, see
// PRESENCE_ROOM_WIDE_MAX_MEMBERS) and the member ids of the big rooms being
// watched (only members can be watched). In a connect storm both are asked
// thousands of times a second for the same few rooms; one query per room per
// `ttlMs` answers them. A query is a write to PostgreSQL and a wake-up of a
// backend: on this 2-core machine, asking the database at every watch cut the
// benchmark's connect rate to a fifth.
//
// Either may be up to `ttlMs` old, unless it is updated when the room's
// members change (the realtime layer does, on every node: see
// userSocketsEverywhere): the client side allows for stale counts
// (shouldWatchPresence).

/** How long a count or a member list is trusted. */
export const ROOM_CACHE_TTL_MS = 10_000;

export interface RoomCache<T> {
  /** The value for each room (loaded together, in one query, where missing or stale). */
  of(roomIds: readonly string[]): Promise<Map<string, T>>;
  /** Drops a room's value: the next ask loads it again (a query in flight answers only those who asked before). */
  forget(roomId: string): void;
  /** Changes a room's cached value, if it has one (after a load in flight, if one is), without a query. */
  update(roomId: string, change: (value: T) => T): void;
}

/**
 * A per-room cache over a loader that answers many rooms at once.
 * `missing`: the value of a room the loader did not return.
 */
export function createRoomCache<T>(
  load: (roomIds: string[]) => Promise<Map<string, T>>,
  missing: T,
  options: { ttlMs?: number; now?: () => number } = {},
): RoomCache<T> {
  const ttlMs = options.ttlMs ?? ROOM_CACHE_TTL_MS;
  const now = options.now ?? Date.now;
  // The promise, not the value: concurrent asks for a missing room share one
  // query, and changes awaiting the same entries resolve in the order they asked.
  const cache = new Map<string, { at: number; value: Promise<T> }>();

  return {
    async of(roomIds) {
      const at = now();
      const stale = roomIds.filter((id) => {
        const entry = cache.get(id);
        return !entry || at - entry.at >= ttlMs;
      });
      if (stale.length > 0) {
        const query = load([...new Set(stale)]);
        for (const id of stale) {
          const entry = { at, value: query.then((values) => values.get(id) ?? missing) };
          cache.set(id, entry);
          // A failed query is not cached: the next ask tries again.
          entry.value.catch(() => {
            if (cache.get(id) === entry) cache.delete(id);
          });
        }
      }
      const values = await Promise.all(roomIds.map((id) => cache.get(id)!.value));
      return new Map(roomIds.map((id, i) => [id, values[i]!]));
    },
    forget(roomId) {
      cache.delete(roomId);
    },
    update(roomId, change) {
      const entry = cache.get(roomId);
      if (entry) entry.value = entry.value.then(change);
    },
  };
}
