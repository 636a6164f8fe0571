// Waits for a spawned Parley process to be reachable: it prints
// `{"listening":port}` (server/realtime-only.ts), or, when started on a fixed
// port, answers GET /api/health (the full Next server prints no such line).
// Shared by the test harness (node-process.ts) and the benchmark.
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export function waitForListening(options: {
  child: ChildProcess;
  label: string;
  exited: Promise<number | null>;
  /** Every stdout line is handed here (to keep the output for error messages). */
  onLine: (line: string) => void;
  output: () => string;
  port?: number;
  timeoutMs: number;
}): Promise<number> {
  const { child, label, exited, output, port } = options;
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not start within ${options.timeoutMs / 1000} s:\n${output()}`)), options.timeoutMs);
    const done = (listening: number) => {
      clearTimeout(timer);
      resolve(listening);
    };
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited with ${code} before listening:\n${output()}`));
    });
    createInterface({ input: child.stdout! }).on("line", (line: string) => {
      options.onLine(line);
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
}
