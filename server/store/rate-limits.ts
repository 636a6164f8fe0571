// Rate limits, shared by every node: rate-limiter-flexible over Redis in
// scaled mode (with an in-memory "insurance" limiter that takes over while
// Redis is down, so limits degrade to per-node instead of failing open or
// closed), in memory in embedded mode.
import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { RateLimiter, RateLimits } from "../domain/ports";

export interface RateLimitConfig {
  /** Messages (sends and edits) a user may make per 10 seconds. */
  messagesPer10s: number;
  /** Rooms a user may create per hour. */
  roomsPerHour: number;
  /** Password attempts per email per 15 minutes (sign-in and POST /api/token). */
  authAttemptsPer15m: number;
}

function wrap(limiter: RateLimiterAbstract): RateLimiter {
  return {
    async consume(key) {
      try {
        await limiter.consume(key);
        return { allowed: true };
      } catch (res) {
        if (res instanceof RateLimiterRes) return { allowed: false, retryAfterMs: res.msBeforeNext };
        // The store failed and there is no insurance: fail open rather than block chat.
        return { allowed: true };
      }
    },
  };
}

export function createRateLimits(config: RateLimitConfig, redis?: { client: Redis; prefix: string }): RateLimits {
  const make = (keyPrefix: string, points: number, duration: number) => {
    const memory = new RateLimiterMemory({ keyPrefix, points, duration });
    if (!redis) return wrap(memory);
    return wrap(
      new RateLimiterRedis({
        storeClient: redis.client,
        keyPrefix: `${redis.prefix}:rl:${keyPrefix}`,
        points,
        duration,
        insuranceLimiter: memory,
      }),
    );
  };
  return {
    messages: make("messages", config.messagesPer10s, 10),
    rooms: make("rooms", config.roomsPerHour, 3600),
    auth: make("auth", config.authAttemptsPer15m, 900),
  };
}
