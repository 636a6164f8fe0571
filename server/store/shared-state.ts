// The state that must be shared by every server process: Socket.IO's adapter
// (who is connected where) and, later, presence and rate limits. In-memory for
// one process (embedded mode), Redis when REDIS_URL is set. Nothing here may
// live in a plain process variable in Redis mode.
import { createAdapter } from "@socket.io/redis-adapter";
import type { PresenceStore } from "../domain/ports";
import type { Logger } from "../logger";
import type { RealtimeDeps } from "../realtime/create-realtime";
import { createMemoryPresenceStore } from "./memory/presence.store";
import { connectRedis, type RedisConnections } from "./redis/connection";
import { createRedisPresenceStore } from "./redis/presence.store";

export interface SharedState {
  kind: "memory" | "redis";
  /** Socket.IO adapter; undefined means Socket.IO's built-in in-memory adapter. */
  adapter: RealtimeDeps["adapter"];
  redis: RedisConnections | undefined;
  /** Who is connected where (in this process, or on every node through Redis). */
  presence: PresenceStore;
  status(): "up" | "down" | "disabled";
  /** Called when cross-node messaging resumes after an outage (clients should resync). */
  onRecovered(listener: () => void): void;
  close(): Promise<void>;
}

export async function createSharedState(options: {
  redisUrl: string | undefined;
  logger: Logger;
  /** Prefix of every Redis key and channel (REDIS_PREFIX). */
  redisPrefix?: string;
}): Promise<SharedState> {
  if (!options.redisUrl) {
    return {
      kind: "memory",
      adapter: undefined,
      redis: undefined,
      presence: createMemoryPresenceStore(),
      status: () => "disabled",
      onRecovered: () => {},
      close: async () => {},
    };
  }
  const redis = await connectRedis(options.redisUrl, options.logger);
  // The adapter publishes without awaiting; while Redis is down those publishes
  // reject. Swallow them here (the node still delivers to its own clients, and
  // other nodes' clients catch up through room:sync) instead of letting an
  // unhandled rejection take the process down.
  const publisher = redis.main.duplicate({ enableOfflineQueue: false, connectionName: "parley-pub" });
  publisher.on("error", () => {});
  const publish = publisher.publish.bind(publisher) as (channel: string, message: string | Buffer) => Promise<number>;
  (publisher as unknown as { publish: typeof publish }).publish = (channel, message) =>
    publish(channel, message).catch(() => 0);
  await publisher.connect().catch(() => {});
  const prefix = options.redisPrefix ?? "parley";
  const adapter = createAdapter(publisher, redis.sub, { requestsTimeout: 3_000, key: `${prefix}:socket.io` });
  return {
    kind: "redis",
    adapter,
    redis,
    presence: createRedisPresenceStore(redis.main, { prefix }),
    status: () => (redis.isUp() ? "up" : "down"),
    onRecovered: (listener) => redis.onRecovered(listener),
    async close() {
      publisher.disconnect();
      await redis.close();
    },
  };
}
