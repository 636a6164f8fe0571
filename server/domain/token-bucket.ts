/**
 * A token bucket: `capacity` events at once, refilled at `refillPerSecond`.
 * Per socket (typing signals, presence watches), in memory: a socket lives on one node.
 */
export function createTokenBucket(options: { capacity: number; refillPerSecond: number; now?: () => number }) {
  const now = options.now ?? Date.now;
  let tokens = options.capacity;
  let updatedAt = now();
  return {
    /** Takes a token; false means "over the limit, ignore this event". */
    take(): boolean {
      const t = now();
      tokens = Math.min(options.capacity, tokens + ((t - updatedAt) / 1000) * options.refillPerSecond);
      updatedAt = t;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}

export type TokenBucket = ReturnType<typeof createTokenBucket>;
