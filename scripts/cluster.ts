// Starts the scaled topology with local processes, mirroring docker-compose.yml:
// three Parley nodes against DATABASE_URL and REDIS_URL, and HAProxy (with
// deploy/haproxy.cfg) in front with sticky sessions.
//   DATABASE_URL=postgres://... REDIS_URL=redis://... npm run cluster
//   -> http://localhost:3000 (nodes on 3101-3103). Ctrl-C stops everything.
// --realtime-only runs the nodes without the Next.js pages (no build needed).
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { startHaproxy } from "./lib/haproxy";
import { startNode, type NodeProcess } from "../tests/support/node-process";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "3000" },
    "base-port": { type: "string", default: "3101" },
    "realtime-only": { type: "boolean", default: false },
  },
});

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  if (!databaseUrl || !redisUrl) {
    console.error("npm run cluster needs DATABASE_URL (PostgreSQL) and REDIS_URL: several nodes cannot share an embedded database.");
    process.exit(2);
  }
  const full = !values["realtime-only"];
  if (full && !existsSync("dist/server.mjs")) {
    console.log("no production build yet: running npm run build");
    if (spawnSync("npm", ["run", "build"], { stdio: "inherit" }).status !== 0) process.exit(1);
  }
  const basePort = Number(values["base-port"]);
  const lbPort = Number(values.port);
  const authSecret = process.env.AUTH_SECRET;
  const nodes: NodeProcess[] = [];
  for (let i = 0; i < 3; i++) {
    nodes.push(
      await startNode({
        entry: full ? "full" : "realtime",
        databaseUrl,
        redisUrl,
        nodeId: `app${i + 1}`,
        port: basePort + i,
        env: {
          LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
          APP_URL: `http://localhost:${lbPort}`,
          // Not the per-run namespace startNode gives tests: a local cluster uses the app's.
          REDIS_PREFIX: process.env.REDIS_PREFIX ?? "parley",
          ...(authSecret ? { AUTH_SECRET: authSecret } : {}),
        },
      }),
    );
    console.log(`node app${i + 1} ready on http://127.0.0.1:${basePort + i}`);
  }
  const lb = await startHaproxy({ port: lbPort, backends: nodes.map((n) => `127.0.0.1:${n.port}`) });
  console.log(`load balancer ready: ${lb.url.replace("127.0.0.1", "localhost")}  (Ctrl-C to stop)`);

  const stop = async () => {
    await lb.stop();
    await Promise.all(nodes.map((n) => n.stop("SIGTERM")));
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
