// Real Parley server processes (server/realtime-only.ts) for multi-node tests:
// same database, same Redis, different ports. Kill them with real signals.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export const TEST_AUTH_SECRET = "test-secret-test-secret-test-secret-0123";

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
    ...options.env,
  };
  if (!options.databaseUrl) delete env.DATABASE_URL;
  if (options.redisUrl) env.REDIS_URL = options.redisUrl;
  else delete env.REDIS_URL;

  const full = options.entry === "full";
  if (full && !options.port) throw new Error("a full node needs a fixed port");
  if (full) env.NODE_ENV = "production";
  const args = full ? ["dist/server.mjs"] : ["--import", "tsx", "server/realtime-only.ts"];
  const child = spawn(process.execPath, args, {
    env: env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  if (full) child.stdout?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const port = full ? await waitForHealth(options.port!, exited, () => output) : await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`node ${nodeId} did not start:\n${output}`)), 30_000);
    lines.on("line", (line: string) => {
      output += `${line}\n`;
      try {
        const parsed = JSON.parse(line) as { listening?: number };
        if (parsed.listening) {
          clearTimeout(timer);
          resolve(parsed.listening);
        }
      } catch {
        // a log line
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`node ${nodeId} exited with ${code} before listening:\n${output}`));
    });
  });

  return {
    nodeId,
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    exited,
    output: () => output,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

async function waitForHealth(port: number, exited: Promise<number | null>, output: () => string): Promise<number> {
  let dead = false;
  void exited.then(() => (dead = true));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (dead) throw new Error(`node on port ${port} exited before it was healthy:\n${output()}`);
    const ok = await fetch(`http://127.0.0.1:${port}/api/health`).then((r) => r.ok, () => false);
    if (ok) return port;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`node on port ${port} was not healthy within 60 s:\n${output()}`);
}
