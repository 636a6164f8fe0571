// Starting and talking to the processes of a bench run: the bundled entry
// points, server processes (Parley or baseline, each with the memory probe
// preloaded). The load generator has its own module (load-generators.ts).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { NODE_BUNDLE } from "../../scripts/build-server";
import { waitForListening } from "../../tests/support/wait-for-listening";
import type { ProbeLoopDelay, ProbeMemory } from "./protocol";

export const ROOT = path.resolve(import.meta.dirname, "..", "..");
export const BUILD_DIR = path.join(ROOT, ".tmp", "bench", "build");

export interface Entries {
  parley: string;
  baseline: string;
  loadGenerator: string;
  probe: string;
}

/**
 * Bundles the processes into plain ES modules with the production bundle's
 * options (scripts/build-server.ts), so every process runs on plain `node`: no
 * tsx loader in the measured processes, the same code path as production.
 */
export async function buildEntries(): Promise<Entries> {
  await build({
    entryPoints: {
      parley: path.join(ROOT, "server/realtime-only.ts"),
      baseline: path.join(ROOT, "bench/baseline-server.ts"),
      "load-generator": path.join(ROOT, "bench/load-generator.ts"),
      probe: path.join(ROOT, "bench/probe.ts"),
    },
    ...NODE_BUNDLE,
    outdir: BUILD_DIR,
    logLevel: "warning",
  });
  const at = (name: string) => path.join(BUILD_DIR, `${name}.mjs`);
  return { parley: at("parley"), baseline: at("baseline"), loadGenerator: at("load-generator"), probe: at("probe") };
}

/**
 * What every Parley process a bench starts runs with: production mode on
 * loopback, a port of its own, quiet logs, and no database or Redis unless the
 * caller adds them (never the ones in the caller's environment by accident).
 */
export function parleyEnv(authSecret: string): Record<string, string | undefined> {
  return {
    ...process.env,
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: "0",
    AUTH_SECRET: authSecret,
    LOG_LEVEL: "warn",
    NEXT_TELEMETRY_DISABLED: "1",
    REDIS_URL: undefined,
    DATABASE_URL: undefined,
  };
}

export interface ServerProcess {
  label: string;
  pid: number;
  port: number;
  url: string;
  child: ChildProcess;
  memory(): Promise<ProbeMemory>;
  /** Event-loop delay since the previous call (the first call starts the window). */
  loopDelay(): Promise<ProbeLoopDelay>;
  /** Writes a V8 heap snapshot (after a full GC) into `dir`; resolves to its path. */
  heapSnapshot(dir: string): Promise<string>;
  stop(): Promise<void>;
  output(): string;
}

export async function startServer(options: {
  label: string;
  entry: string;
  probe: string;
  env: Record<string, string | undefined>;
  /** Fixed port: wait for /api/health instead of the {"listening"} line (the full Next server prints no such line). */
  port?: number;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
}): Promise<ServerProcess> {
  if (!existsSync(options.entry)) throw new Error(`${options.entry} does not exist (for --server full, run npm run build first)`);
  const child = spawn(process.execPath, ["--expose-gc", ...(options.nodeArgs ?? []), "--import", options.probe, options.entry], {
    cwd: ROOT,
    env: options.env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  const { port, exited, output } = await waitForListening(child, { label: options.label, port: options.port, timeoutMs: 90_000 });

  // The probe answers each request with a message of the same type.
  const answers = new Map<string, (message: unknown) => void>();
  child.on("message", (message: unknown) => answers.get((message as { type?: string }).type ?? "")?.(message));
  const askProbe = <T>(type: string, timeoutMs: number, extra: Record<string, unknown> = {}) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${options.label}: no ${type} answer`)), timeoutMs);
      answers.set(type, (message) => {
        clearTimeout(timer);
        answers.delete(type);
        resolve(message as T);
      });
      child.send({ ...extra, type });
    });

  return {
    label: options.label,
    pid: child.pid!,
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    output,
    memory: () => askProbe<ProbeMemory>("bench:memory", 60_000),
    loopDelay: () => askProbe<ProbeLoopDelay>("bench:loop", 30_000),
    heapSnapshot: async (dir) => (await askProbe<{ file: string }>("bench:heap-snapshot", 300_000, { dir })).file,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

