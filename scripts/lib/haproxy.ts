// Runs HAProxy (Debian's `haproxy`) in the foreground with deploy/haproxy.cfg,
// the same file docker-compose mounts.
import { spawn, type ChildProcess } from "node:child_process";

export interface LoadBalancer {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startHaproxy(options: { port: number; backends: string[] }): Promise<LoadBalancer> {
  if (options.backends.length !== 3) throw new Error("deploy/haproxy.cfg names three app servers");
  const env = {
    ...process.env,
    PARLEY_LB_BIND: `127.0.0.1:${options.port}`,
    PARLEY_APP1: options.backends[0],
    PARLEY_APP2: options.backends[1],
    PARLEY_APP3: options.backends[2],
  };
  const child = spawn("haproxy", ["-db", "-f", "deploy/haproxy.cfg"], { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-10_000)));
  const spawnError = new Promise<never>((_, reject) =>
    child.once("error", (err) => reject(new Error(`could not run haproxy (apt-get install haproxy): ${err.message}`))),
  );
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ready = await Promise.race([
      fetch(`${url}/api/ready`).then((r) => r.ok, () => false),
      spawnError,
    ]);
    if (ready) break;
    if (child.exitCode !== null) throw new Error(`haproxy exited: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`haproxy did not route to a ready node in 20 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    child,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
