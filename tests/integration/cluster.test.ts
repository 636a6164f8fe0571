// Several real server processes on one PostgreSQL database and one Redis.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatMessage, RoomSummary } from "../../lib/contract";
import { socketFor } from "../support/clients";
import { DeliveryClient } from "../support/delivery-client";
import { createTestDatabase, postgresUrl, type TestDatabase } from "../support/databases";
import { startNode, type NodeProcess } from "../support/node-process";
import { redisUrl } from "../support/redis";
import { collect, ok, until, waitForConnect, type ClientSocket } from "../support/test-server";
import { createRoom, createUser } from "../support/fixtures";

const enabled = Boolean(postgresUrl && redisUrl);
if (!enabled) console.warn("cluster tests skipped: set TEST_DATABASE_URL and TEST_REDIS_URL (CI sets both)");

describe.runIf(enabled)("three server processes over PostgreSQL and Redis", () => {
  let database: TestDatabase;
  let nodes: NodeProcess[] = [];
  const sockets: ClientSocket[] = [];

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    nodes = await Promise.all(
      ["a", "b", "c"].map((n) => startNode({ databaseUrl: database.url!, redisUrl, nodeId: `node-${n}` })),
    );
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await Promise.all(nodes.map((n) => n.stop("SIGTERM")));
    await database?.dispose();
  });

  it("delivers everyone's messages to everyone, once and in order, across nodes", async () => {
    const users = await Promise.all(
      ["Ann", "Ben", "Cat"].map((name) =>
        createUser(database.db.prisma, name),
      ),
    );
    const clients = users.map((u, i) => socketFor(nodes[i]!.url, u));
    sockets.push(...clients);
    await Promise.all(clients.map(waitForConnect));
    const { room } = await ok<{ room: RoomSummary }>(clients[0]!, "room:create", { name: `x-${randomUUID().slice(0, 8)}` });
    await ok(clients[1]!, "room:join", { roomId: room.id });
    await ok(clients[2]!, "room:join", { roomId: room.id });
    const inboxes = clients.map((c) => collect<ChatMessage>(c, "message:created"));
    // What each person sees: the client orders by seq (broadcasts from different
    // nodes may arrive in either order) and fills any gap with room:sync.
    const views = clients.map((c) => new DeliveryClient(c, [room.id]));

    const perClient = 20;
    await Promise.all(
      views.map(async (view, i) => {
        for (let k = 0; k < perClient; k++) view.send(room.id, `${i}:${k}`);
        await until(() => view.acked.size === perClient, 15_000, "acks");
      }),
    );
    // Each client hears the other two clients' messages exactly once (its own come back as acks).
    await until(
      () => inboxes.every((inbox) => inbox.length === perClient * 2),
      15_000,
      () => {
        // Which broadcasts are missing (or doubled), and what the nodes logged: a
        // one-in-a-dozen failure has to explain itself the first time it happens.
        const report = inboxes.map((inbox, i) => {
          const heard = inbox.map((m) => `${m.body}#${m.seq}`);
          const expected = views.flatMap((v, j) => (j === i ? [] : [...v.acked.values()].map((m) => `${m.body}#${m.seq}`)));
          const missing = expected.filter((e) => !heard.includes(e));
          const doubled = heard.filter((h, k) => heard.indexOf(h) !== k);
          return `client ${i}: ${inbox.length} (missing ${missing.join(",") || "none"}; doubled ${doubled.join(",") || "none"})`;
        });
        return `cross-node delivery: ${perClient * 2} broadcasts each; ${report.join(" | ")}\n${nodes.map((n) => `${n.nodeId}: ${n.output().slice(-2_000)}`).join("\n")}`;
      },
    );
    for (const [i, inbox] of inboxes.entries()) {
      const seqs = inbox.map((m) => m.seq);
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(inbox.every((m) => !m.body.startsWith(`${i}:`))).toBe(true);
    }
    // And everyone ends with the same history, in seq order, with no holes.
    await until(() => views.every((v) => v.lastSeq(room.id) === perClient * 3), 15_000, "converged views");
    for (const view of views) {
      expect(view.timeline(room.id).map((m) => m.seq)).toEqual(Array.from({ length: perClient * 3 }, (_, i) => i + 1));
    }
    const stored = await database.db.prisma.message.findMany({ where: { roomId: room.id }, orderBy: { seq: "asc" } });
    expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: perClient * 3 }, (_, i) => i + 1));
  });

  it("applies a kick on one node to the target's sockets on another node", async () => {
    const [owner, target] = await Promise.all(
      ["Owner", "Target"].map((name) =>
        createUser(database.db.prisma, name),
      ),
    );
    const ownerSocket = socketFor(nodes[0]!.url, owner!);
    const targetSocket = socketFor(nodes[1]!.url, target!);
    sockets.push(ownerSocket, targetSocket);
    await Promise.all([waitForConnect(ownerSocket), waitForConnect(targetSocket)]);
    const { room } = await ok<{ room: RoomSummary }>(ownerSocket, "room:create", { name: `k-${randomUUID().slice(0, 8)}` });
    await ok(targetSocket, "room:join", { roomId: room.id });
    const removed = collect<{ roomId: string }>(targetSocket, "room:removed");
    const received = collect<ChatMessage>(targetSocket, "message:created");
    await ok(ownerSocket, "room:kick", { roomId: room.id, userId: target!.id });
    await until(() => removed.length === 1, 5_000, "cross-node room:removed");
    await ok(ownerSocket, "message:send", { roomId: room.id, clientId: randomUUID(), body: "not for you" });
    await new Promise((r) => setTimeout(r, 300));
    expect(received).toHaveLength(0);
  });

  it("suspends an account on every node: the user's socket on another node is told why and dropped", async () => {
    const [admin, target] = await Promise.all(["Admin", "Suspended"].map((name) => createUser(database.db.prisma, name)));
    const adminSocket = socketFor(nodes[0]!.url, { ...admin!, role: "ADMIN" });
    const targetSocket = socketFor(nodes[2]!.url, target!);
    sockets.push(adminSocket, targetSocket);
    await Promise.all([waitForConnect(adminSocket), waitForConnect(targetSocket)]);
    const notices = collect<{ reason: string }>(targetSocket, "session:notice");
    let reason = "";
    targetSocket.once("disconnect", (r) => (reason = r));
    await ok(adminSocket, "user:ban", { userId: target!.id });
    await until(() => reason !== "", 5_000, "cross-node disconnect of the suspended user");
    expect(reason).toBe("io server disconnect");
    expect(notices).toEqual([{ reason: "banned" }]);
  });
});
