// One Parley server process: HTTP + Socket.IO (+ Next.js pages when given a
// Next request handler), graceful shutdown included. server/index.ts starts it
// with Next; server/realtime-only.ts without (multi-process tests, benchmarks).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { AddressInfo } from "node:net";
import type { Core } from "./boot";
import { createRealtime, type Realtime } from "./realtime/create-realtime";

export interface WebHandler {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  handleUpgrade?(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void>;
  close?(): Promise<void>;
}

export interface RunningServer {
  port: number;
  realtime: Realtime;
  shutdown(signal: string): Promise<void>;
}

export async function startHttpServer(core: Core, web: WebHandler): Promise<RunningServer> {
  const { env, logger } = core;
  const http = createServer((req, res) => {
    if (req.url === "/metrics" || req.url?.startsWith("/metrics?")) {
      void serveMetrics(core, req, res);
      return;
    }
    web.handle(req, res).catch((err: unknown) => {
      logger.error({ err, url: req.url }, "request failed");
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  const realtime = createRealtime(http, {
    services: core.services,
    logger,
    adapter: core.shared.adapter,
    presence: core.shared.presence,
    nodeId: env.NODE_ID,
    presenceRoomWideMaxMembers: env.PRESENCE_ROOM_WIDE_MAX_MEMBERS,
    metrics: core.metrics,
    redisUp: () => core.shared.status() === "up",
  });
  core.shared.onRecovered(() => realtime.requestResync());
  // Socket.IO answers upgrades under /socket.io/; anything else (Next's dev
  // reload socket) goes to the web handler.
  http.on("upgrade", (req, socket, head) => {
    if (!req.url?.startsWith("/socket.io/")) {
      if (web.handleUpgrade) void web.handleUpgrade(req, socket, head);
      else socket.destroy();
    }
  });
  await new Promise<void>((resolve) => http.listen(env.PORT, env.HOST, resolve));
  const port = (http.address() as AddressInfo).port;

  let stopping: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    stopping ??= (async () => {
      logger.info({ signal }, "shutting down: closing sockets and draining writes");
      const force = setTimeout(() => {
        logger.error("shutdown grace period over; exiting with writes possibly in flight");
        process.exit(1);
      }, env.SHUTDOWN_GRACE_SECONDS * 1000);
      force.unref();
      // Stop accepting first, then tell clients to move on, then drain writes.
      http.close();
      await realtime.close();
      http.closeAllConnections();
      await web.close?.();
      await core.close();
      logger.info("bye");
    })();
    return stopping;
  };
  return { port, realtime, shutdown };
}

/** Exits cleanly on SIGTERM/SIGINT after a graceful shutdown. */
export function exitOnSignals(server: RunningServer): void {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      void server.shutdown(signal).then(() => process.exit(0));
    });
  }
}

/** A failed promise nobody awaited is logged, not fatal: one bad path must not drop every client of the node. */
export function logUnhandledRejections(core: Core): void {
  process.on("unhandledRejection", (reason) => core.logger.error({ err: reason }, "unhandled promise rejection"));
}

/**
 * GET /metrics (Prometheus). Not public by default: with METRICS_TOKEN set it
 * needs `Authorization: Bearer <token>`; without, it answers only requests from
 * this machine (and deploy/haproxy.cfg refuses /metrics from outside).
 */
async function serveMetrics(core: Core, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const token = core.env.METRICS_TOKEN;
  const remote = req.socket.remoteAddress ?? "";
  const loopback = remote === "127.0.0.1" || remote === "::1" || remote === "::ffff:127.0.0.1";
  const allowed = token ? req.headers.authorization === `Bearer ${token}` : loopback;
  if (!allowed) {
    res.writeHead(403, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { code: "forbidden", message: "Set METRICS_TOKEN and send it as a Bearer token" } }));
    return;
  }
  try {
    const body = await core.metrics.registry.metrics();
    res.writeHead(200, { "content-type": core.metrics.registry.contentType });
    res.end(body);
  } catch (err) {
    core.logger.error({ err }, "metrics failed");
    res.writeHead(500).end();
  }
}
