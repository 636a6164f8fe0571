// Parley's one process: an HTTP server that serves Next.js and hosts
// Socket.IO on the same port.
//   npm run dev      node --import tsx server/index.ts (NODE_ENV=development)
//   npm start        node dist/server.mjs (the bundled build of this file)
import next from "next";
import { bootCore } from "./boot";
import { EnvError, loadEnv } from "./env";
import { exitOnSignals, logUnhandledRejections, startHttpServer } from "./http-server";
import { setAppContext } from "./registry";

async function main(): Promise<void> {
  process.env.NEXT_TELEMETRY_DISABLED ??= "1";
  const env = loadEnv();
  // next-auth (inside Next's route handlers) reads these.
  process.env.NEXTAUTH_SECRET = env.AUTH_SECRET;
  process.env.NEXTAUTH_URL ??= env.APP_URL;

  const core = await bootCore(env);
  logUnhandledRejections(core);
  setAppContext({ env, services: core.services, logger: core.logger, readiness: core.readiness });

  const dev = env.NODE_ENV !== "production";
  const app = next({ dev, hostname: "localhost", port: env.PORT });
  await app.prepare();
  const server = await startHttpServer(core, {
    handle: app.getRequestHandler(),
    handleUpgrade: app.getUpgradeHandler(),
    close: async () => app.close?.(),
  });
  core.logger.info({ url: env.APP_URL, mode: dev ? "development" : "production" }, "Parley is listening");
  exitOnSignals(server);
}

main().catch((err: unknown) => {
  console.error(err instanceof EnvError ? err.message : ["Parley failed to start:", err]);
  process.exit(1);
});
