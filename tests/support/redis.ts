/** Real Redis for multi-node tests; CI sets TEST_REDIS_URL. */
export const redisUrl = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL;
