// Parley's one process: an HTTP server that serves Next.js and hosts
// Socket.IO on the same port.
//   npm run dev      node --import tsx server/index.ts (NODE_ENV=development)
//   npm start        node dist/server.mjs (the bundled build of this file)
import { createServer } from "node:http";
import next from "next";
import { EnvError, loadEnv } from "./env";
import { bootCore } from "./boot";
import { createRealtime } from "./realtime/create-realtime";
import { setAppContext } from "./registry";

async function main(): Promise<void> {
  process.env.NEXT_TELEMETRY_DISABLED ??= "1";
  const env = loadEnv();
  // next-auth (inside Next's route handlers) reads these.
  process.env.NEXTAUTH_SECRET = env.AUTH_SECRET;
  process.env.NEXTAUTH_URL ??= env.APP_URL;

  const core = await bootCore(env);
  const { logger } = core;
  setAppContext({ env, services: core.services, logger, readiness: core.readiness });

  const dev = env.NODE_ENV !== "production";
  const app = next({ dev, hostname: "localhost", port: env.PORT });
  await app.prepare();
  const handle = app.getRequestHandler();
  const handleUpgrade = app.getUpgradeHandler();

  const http = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err, url: req.url }, "request failed");
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  const realtime = createRealtime(http, { services: core.services, logger });
  // Socket.IO answers upgrades under /socket.io/; everything else (Next's dev
  // reload socket) goes to Next.
  http.on("upgrade", (req, socket, head) => {
    if (!req.url?.startsWith("/socket.io/")) void handleUpgrade(req, socket, head);
  });

  await new Promise<void>((resolve) => http.listen(env.PORT, env.HOST, resolve));
  logger.info({ url: env.APP_URL, mode: dev ? "development" : "production" }, "Parley is listening");

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down: closing sockets and draining writes");
    const force = setTimeout(() => {
      logger.error("shutdown grace period over; exiting with writes possibly in flight");
      process.exit(1);
    }, env.SHUTDOWN_GRACE_SECONDS * 1000);
    force.unref();
    // Stop accepting connections first, then let clients know and move on.
    http.close();
    await realtime.close();
    http.closeAllConnections();
    await app.close?.();
    await core.close();
    logger.info("bye");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err: unknown) => {
  if (err instanceof EnvError) {
    console.error(err.message);
  } else {
    console.error("Parley failed to start:", err);
  }
  process.exit(1);
});
