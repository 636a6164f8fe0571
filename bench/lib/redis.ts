// The bench's Redis (BENCH_REDIS_URL or TEST_REDIS_URL): short-lived clients,
// and removing a run's keys afterwards.
import { Redis } from "ioredis";
import { offlineQueueKey } from "../../server/store/redis/presence.store";

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

/**
 * Waits (two minutes at most) until Parley's offline grace queue under `prefix`
 * is empty, i.e. every user whose connections closed was announced offline and
 * had their "last seen" stored, then a second more for the last claimed batch.
 * Resolves to the seconds that took.
 */
export function offlineQueueDrained(prefix: string): Promise<number> {
  return withRedis(async (redis) => {
    const started = Date.now();
    const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
    while ((await redis.zcard(offlineQueueKey(prefix))) > 0 && Date.now() - started < 120_000) await pause(250);
    await pause(1_000);
    return (Date.now() - started) / 1000;
  });
}

