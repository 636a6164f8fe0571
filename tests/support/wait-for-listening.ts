// Waits for a spawned Parley process to be reachable: it prints
// `{"listening":port}` (server/realtime-only.ts), or, when started on a fixed
// port, answers GET /api/health (the full Next server prints no such line).
// Keeps the process's recent output for error messages and hands back its exit.
// Shared by the test harness (node-process.ts) and the benchmark.
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export interface Listening {
  port: number;
  /** Resolves with the exit code when the process exits. */
  exited: Promise<number | null>;
  /** The last 20,000 characters of its stdout and stderr. */
  output(): string;
}

/** Call right after spawning, with stdout and stderr piped. */
export async function waitForListening(
  child: ChildProcess,
  options: { label: string; port?: number; timeoutMs: number },
): Promise<Listening> {
  const { label, port } = options;
  let output = "";
  const keep = (chunk: string) => (output = (output + chunk).slice(-20_000));
  child.stderr?.on("data", (chunk: Buffer) => keep(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const listening = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not start within ${options.timeoutMs / 1000} s:\n${output}`)), options.timeoutMs);
    const done = (at: number) => {
      clearTimeout(timer);
      resolve(at);
    };
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited with ${code} before listening:\n${output}`));
    });
    createInterface({ input: child.stdout! }).on("line", (line: string) => {
      keep(`${line}\n`);
      try {
        const parsed = JSON.parse(line) as { listening?: number };
        if (parsed.listening) done(parsed.listening);
      } catch {
        // a log line
      }
    });
    if (port) {
      void (async () => {
        while (child.exitCode === null) {
          const healthy = await fetch(`http://127.0.0.1:${port}/api/health`).then((r) => r.ok, () => false);
          if (healthy) return done(port);
          await new Promise((r) => setTimeout(r, 200));
        }
      })();
    }
  });
  return { port: listening, exited, output: () => output };
}
