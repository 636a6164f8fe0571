// Everything the server needs besides HTTP and Next: database, stores,
// services and the readiness probe. Shared by server/index.ts and the cluster
// scripts, which start the same thing without Next.
import type { Env } from "./env";
import { createLogger, type Logger } from "./logger";
import type { Readiness } from "./registry";
import { createServices, type Services } from "./domain/services";
import { openMigratedDatabase, type Database } from "./store/db/database";
import { databaseOptionsFromEnv } from "./store/db/options";
import { createPrismaStores } from "./store/prisma";
import { createMetrics, type Metrics } from "./observability/metrics";
import { createRateLimits } from "./store/rate-limits";
import { createSharedState, type SharedState } from "./store/shared-state";

export interface Core {
  env: Env;
  logger: Logger;
  db: Database;
  shared: SharedState;
  services: Services;
  metrics: Metrics;
  readiness(): Promise<Readiness>;
  close(): Promise<void>;
}

export async function bootCore(env: Env, logger = createLogger({
  level: env.LOG_LEVEL,
  nodeId: env.NODE_ID,
  pretty: env.NODE_ENV === "development",
})): Promise<Core> {
  const db = await openMigratedDatabase(databaseOptionsFromEnv(env), (message) => logger.info(message));
  logger.info({ database: db.kind }, "database ready");
  const shared = await createSharedState({ redisUrl: env.REDIS_URL, redisPrefix: env.REDIS_PREFIX, logger });
  logger.info({ sharedState: shared.kind }, "shared state ready");
  const metrics = createMetrics({ nodeId: env.NODE_ID });
  const services = createServices(createPrismaStores(db), {
    onWriteBatch(size, seconds, ok) {
      metrics.dbBatchSize.observe(size);
      metrics.dbWriteDuration.observe({ result: ok ? "ok" : "error" }, seconds);
    },
    onLateCommitCheckFailed: (err) => logger.warn({ err }, "could not check whether sends answered `unavailable` were committed; retrying"),
    writeConcurrency: env.DATABASE_WRITE_CONCURRENCY,
    authSecret: env.AUTH_SECRET,
    socketTokenTtlSeconds: env.SOCKET_TOKEN_TTL_SECONDS,
    adminEmails: env.ADMIN_EMAILS,
    limits: createRateLimits(
      {
        messagesPer10s: env.RATE_LIMIT_MESSAGES_PER_10S,
        roomsPerHour: env.RATE_LIMIT_ROOMS_PER_HOUR,
        authAttemptsPer15m: env.RATE_LIMIT_AUTH_PER_15M,
      },
      shared.redis ? { client: shared.redis.main, prefix: env.REDIS_PREFIX } : undefined,
    ),
  });
  return {
    env,
    logger,
    db,
    shared,
    services,
    metrics,
    async readiness() {
      const database = await withTimeout(db.ping(), 2_000).then(
        () => "up" as const,
        () => "down" as const,
      );
      const redis = shared.status();
      // Without Redis a node still serves (and persists for) its own clients.
      const status = database === "down" ? "unavailable" : redis === "down" ? "degraded" : "ok";
      return { status, node: env.NODE_ID, checks: { database, redis } };
    },
    async close() {
      await shared.close();
      await db.close();
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
