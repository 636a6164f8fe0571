// A private redis-server (Debian's binary) that a test may kill and restart,
// instead of the machine's shared one.
import { spawn, type ChildProcess } from "node:child_process";
import { Redis } from "ioredis";

export interface RedisProcess {
  url: string;
  child: ChildProcess;
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedisServer(port: number): Promise<RedisProcess> {
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  const start = async () => {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: "ignore",
    });
    const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => 100, maxRetriesPerRequest: 1 });
    probe.on("error", () => {});
    const deadline = Date.now() + 10_000;
    for (;;) {
      const pong = await probe.ping().catch(() => undefined);
      if (pong === "PONG") break;
      if (Date.now() > deadline) throw new Error("redis-server did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
    probe.disconnect();
  };
  const kill = async () => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child?.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  };
  await start();
  return {
    url,
    get child() {
      return child as ChildProcess;
    },
    kill,
    start,
    stop: kill,
  };
}
