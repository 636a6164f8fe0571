// The bench's Redis (BENCH_REDIS_URL or TEST_REDIS_URL): short-lived clients,
// and removing a run's keys afterwards.
import { Redis } from "ioredis";

export const benchRedisUrl = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL;

/** A short-lived client of the bench's Redis, closed after `use`. */
export async function withRedis<T>(use: (redis: Redis) => Promise<T>): Promise<T> {
  if (!benchRedisUrl) throw new Error("the bench has no Redis (BENCH_REDIS_URL / TEST_REDIS_URL)");
  const redis = new Redis(benchRedisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

/** Deletes every key under `prefix` (a run's REDIS_PREFIX), a thousand at a time. */
export function deleteKeysUnder(prefix: string): Promise<void> {
  return withRedis(async (redis) => {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
  });
}
