// Sticky sessions through the real load balancer (HAProxy with deploy/haproxy.cfg).
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatMessage, RoomSummary } from "../../lib/contract";
import { startHaproxy, type LoadBalancer } from "../../scripts/lib/haproxy";
import { createTestDatabase, postgresUrl, type TestDatabase } from "../support/databases";
import { socketFor } from "../support/clients";
import { startNode, type NodeProcess } from "../support/node-process";
import { freePort } from "../support/ports";
import { redisUrl } from "../support/redis";
import { collect, ok, until, waitForConnect, type ClientSocket } from "../support/test-server";
import { createRoom, createUser } from "../support/fixtures";

const haproxy = !spawnSync("haproxy", ["-v"]).error;
const enabled = Boolean(postgresUrl && redisUrl && haproxy);
if (!enabled) console.warn("load balancer tests skipped: need TEST_DATABASE_URL, TEST_REDIS_URL and haproxy (CI has all three)");

describe.runIf(enabled)("through HAProxy with sticky sessions", () => {
  let database: TestDatabase;
  const nodes: NodeProcess[] = [];
  let lb: LoadBalancer;
  const sockets: ClientSocket[] = [];

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    for (let i = 0; i < 3; i++) {
      nodes.push(await startNode({ databaseUrl: database.url!, redisUrl, nodeId: `lb-app${i + 1}`, port: await freePort() }));
    }
    lb = await startHaproxy({ port: await freePort(), backends: nodes.map((n) => `127.0.0.1:${n.port}`) });
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await lb?.stop();
    await Promise.all(nodes.map((n) => n.stop("SIGTERM")));
    await database?.dispose();
  });

  const user = (name: string) =>
    createUser(database.db.prisma, name);

  it("spreads long-polling-only clients over the nodes and keeps each on its node", async () => {
    const people = await Promise.all(Array.from({ length: 6 }, (_, i) => user(`poller${i}`)));
    const room = await createRoom(database.db.prisma, people[0]!, people);
    // No WebSocket: every packet is a separate HTTP request; keep HAProxy's stickiness cookie.
    const clients = people.map((p) => socketFor(lb.url, p, { transports: ["polling"], withCredentials: true }));
    sockets.push(...clients);
    await Promise.all(clients.map(waitForConnect));
    const inboxes = clients.map((c) => collect<ChatMessage>(c, "message:created"));

    // Many request/response round trips per client: without stickiness a poll
    // would land on a node that does not know the session ("Session ID unknown").
    for (const [i, c] of clients.entries()) {
      for (let k = 0; k < 5; k++) {
        await ok(c, "message:send", { roomId: room.id, clientId: randomUUID(), body: `${i}.${k}` });
      }
    }
    await until(() => inboxes.every((inbox) => inbox.length === 25), 20_000, "cross-node delivery over polling");
    expect(clients.every((c) => c.connected && c.io.engine.transport.name === "polling")).toBe(true);
  });

  it("(control) fails without the stickiness cookie: polls land on nodes that do not know the session", async () => {
    const p = await user("unsticky");
    // No cookie jar: HAProxy round-robins every request.
    const socket = socketFor(lb.url, p, { transports: ["polling"], withCredentials: false });
    sockets.push(socket);
    const outcome = await new Promise<string>((resolve) => {
      socket.once("connect_error", () => resolve("connect_error"));
      socket.once("disconnect", () => resolve("disconnected"));
      socket.once("connect", () => {
        // Keep polling for a while; a wrong node answers 400 "Session ID unknown".
        setTimeout(() => resolve(socket.connected ? "still connected" : "disconnected"), 3_000);
      });
      socket.connect();
    });
    expect(outcome).not.toBe("still connected");
  });

  it("reports readiness with the node's identity through the balancer", async () => {
    const readiness = (await (await fetch(`${lb.url}/api/ready`)).json()) as { status: string; node: string; checks: { redis: string } };
    expect(readiness.status).toBe("ok");
    expect(readiness.node).toMatch(/^lb-app[123]$/);
    expect(readiness.checks.redis).toBe("up");
  });

  it("routes a room:list call via WebSocket through the balancer", async () => {
    const p = await user("ws");
    const socket = socketFor(lb.url, p);
    sockets.push(socket);
    await waitForConnect(socket);
    expect((await ok<{ rooms: RoomSummary[] }>(socket, "room:list", {})).rooms).toBeInstanceOf(Array);
  });
});
