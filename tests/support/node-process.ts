// Real Parley server processes (server/realtime-only.ts) for multi-node tests:
// same database, same Redis, different ports. Kill them with real signals.
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { PRODUCTION_NODE_FLAGS } from "../../scripts/build-server";
import { deleteKeysUnder } from "./redis";
import { waitForListening } from "./wait-for-listening";

export const TEST_AUTH_SECRET = "test-secret-test-secret-test-secret-0123";

/**
 * One Redis namespace per test file (this module is loaded once per file), shared
 * by that file's nodes. Test files run in parallel against one Redis; with the
 * default prefix their nodes shared the adapter's channels and presence (every
 * node decoding every other file's broadcasts, reaping every other file's
 * SIGKILLed nodes). A test can still pass its own REDIS_PREFIX in `env`.
 */
const FILE_REDIS_PREFIX = `parley-test-${randomUUID().slice(0, 8)}`;
/** The Redis the file's nodes used, if any: its keys under FILE_REDIS_PREFIX are deleted after the file. */
let fileRedisUrl: string | undefined;

/**
 * Deletes the Redis keys of this file's nodes. Presence keys outlive the nodes
 * (a SIGKILLed node's until it is reaped), and per-file prefixes meant every
 * run left a few hundred behind. Called after every integration test file
 * (tests/support/integration-setup.ts).
 * Best effort: a file that ran its own Redis (redis-outage) has stopped it by now.
 */
export async function deleteNodesRedisKeys(): Promise<void> {
  if (!fileRedisUrl) return;
  const client = new Redis(fileRedisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => {});
  try {
    await client.connect();
    await deleteKeysUnder(client, FILE_REDIS_PREFIX);
  } catch {
    // Nothing to clean, or nobody to clean it in.
  } finally {
    client.disconnect();
  }
}

export interface NodeProcess {
  nodeId: string;
  port: number;
  url: string;
  child: ChildProcess;
  /** Sends a signal and resolves when the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
  output(): string;
}

export interface NodeOptions {
  /** "realtime": server/realtime-only.ts via tsx (default); "full": the production build, dist/server.mjs (needs a port). */
  entry?: "realtime" | "full";
  /** PostgreSQL; undefined runs the node embedded (PGlite in a fresh temporary DATA_DIR). */
  databaseUrl: string | undefined;
  redisUrl?: string;
  nodeId?: string;
  port?: number;
  env?: Record<string, string>;
}

export async function startNode(options: NodeOptions): Promise<NodeProcess> {
  const nodeId = options.nodeId ?? `node-${randomUUID().slice(0, 6)}`;
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NODE_ENV: "test",
    PORT: String(options.port ?? 0),
    HOST: "127.0.0.1",
    ...(options.databaseUrl
      ? { DATABASE_URL: options.databaseUrl }
      : { DATA_DIR: mkdtempSync(path.join(tmpdir(), "parley-node-")) }),
    AUTH_SECRET: TEST_AUTH_SECRET,
    NODE_ID: nodeId,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "warn",
    SHUTDOWN_GRACE_SECONDS: "10",
    // Load-shaped tests are not about limits; tests/integration/rate-limits.test.ts is.
    RATE_LIMIT_MESSAGES_PER_10S: "100000",
    RATE_LIMIT_ROOMS_PER_HOUR: "100000",
    REDIS_PREFIX: FILE_REDIS_PREFIX,
    ...options.env,
  };
  if (!options.databaseUrl) delete env.DATABASE_URL;
  if (options.redisUrl) {
    env.REDIS_URL = options.redisUrl;
    if (env.REDIS_PREFIX === FILE_REDIS_PREFIX) fileRedisUrl = options.redisUrl;
  }
  else delete env.REDIS_URL;

  const full = options.entry === "full";
  if (full && !options.port) throw new Error("a full node needs a fixed port");
  if (full) env.NODE_ENV = "production";
  // A full node is started as production starts it (npm start, the Dockerfile).
  const args = full ? [...PRODUCTION_NODE_FLAGS, "dist/server.mjs"] : ["--import", "tsx", "server/realtime-only.ts"];
  const child = spawn(process.execPath, args, {
    env: env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const { port, exited, output } = await waitForListening(child, {
    label: `node ${nodeId}`,
    port: full ? options.port : undefined,
    timeoutMs: full ? 60_000 : 30_000,
  });

  return {
    nodeId,
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    exited,
    output,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

