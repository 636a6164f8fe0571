import type { Redis } from "ioredis";

/** Real Redis for multi-node tests; CI sets TEST_REDIS_URL. */
export const redisUrl = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL;

/** Deletes every key under `prefix:` (a test run's namespace), so runs leave nothing behind. */
export async function deleteKeysUnder(client: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== "0");
}
