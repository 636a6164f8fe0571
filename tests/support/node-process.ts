// Real Parley server processes (server/realtime-only.ts) for multi-node tests:
// same database, same Redis, different ports. Kill them with real signals.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { randomUUID } from "node:crypto";

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
  databaseUrl: string;
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
    DATABASE_URL: options.databaseUrl,
    AUTH_SECRET: TEST_AUTH_SECRET,
    NODE_ID: nodeId,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "warn",
    SHUTDOWN_GRACE_SECONDS: "10",
    ...options.env,
  };
  if (options.redisUrl) env.REDIS_URL = options.redisUrl;
  else delete env.REDIS_URL;

  const child = spawn(process.execPath, ["--import", "tsx", "server/realtime-only.ts"], {
    env: env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`node ${nodeId} did not start:\n${output}`)), 30_000);
    lines.on("line", (line) => {
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
