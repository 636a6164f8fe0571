// A Parley server process without the Next.js pages: the same database,
// shared state, Socket.IO wiring and shutdown as server/index.ts, plus the
// health and readiness endpoints. Used by the multi-process tests and the
// benchmark, where building and booting Next for every node would only add noise.
// Clients need tokens minted with the same AUTH_SECRET (see tests/support).
import { bootCore } from "./boot";
import { EnvError, loadEnv } from "./env";
import { exitOnSignals, logUnhandledRejections, startHttpServer } from "./http-server";

async function main(): Promise<void> {
  const env = loadEnv();
  const core = await bootCore(env);
  logUnhandledRejections(core);
  const server = await startHttpServer(core, {
    async handle(req, res) {
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
        res.end(JSON.stringify(body));
      };
      if (req.url === "/api/health") return json(200, { status: "ok", node: env.NODE_ID });
      if (req.url === "/api/ready") {
        const readiness = await core.readiness();
        return json(readiness.status === "unavailable" ? 503 : 200, readiness);
      }
      json(404, { error: { code: "not_found", message: "Not found" } });
    },
  });
  // The parent process (tests, cluster script) reads the port from this line.
  console.log(JSON.stringify({ listening: server.port, node: env.NODE_ID }));
  exitOnSignals(server);
}

main().catch((err: unknown) => {
  console.error(err instanceof EnvError ? err.message : ["Parley failed to start:", err]);
  process.exit(1);
});
