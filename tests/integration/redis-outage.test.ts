// Redis goes away under two nodes and comes back.
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisServer, type RedisProcess } from "../../scripts/lib/redis-server";
import { socketFor } from "../support/clients";
import { createTestDatabase, postgresUrl, type TestDatabase } from "../support/databases";
import { DeliveryClient } from "../support/delivery-client";
import { startNode, type NodeProcess } from "../support/node-process";
import { freePort } from "../support/ports";
import { randomUUID } from "node:crypto";
import type { ChatMessage, RoomSummary } from "../../lib/contract";
import { collect, ok, until, waitForConnect, type ClientSocket } from "../support/test-server";
import { createRoom, createUser } from "../support/fixtures";

const enabled = Boolean(postgresUrl) && !spawnSync("redis-server", ["--version"]).error;
if (!enabled) console.warn("Redis outage test skipped: needs TEST_DATABASE_URL and redis-server");

describe.runIf(enabled)("Redis outage under two nodes", () => {
  let database: TestDatabase;
  let redis: RedisProcess;
  const nodes: NodeProcess[] = [];
  const sockets: ClientSocket[] = [];

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    redis = await startRedisServer(await freePort());
    for (const id of ["ra", "rb"]) nodes.push(await startNode({ databaseUrl: database.url!, redisUrl: redis.url, nodeId: id }));
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await Promise.all(nodes.map((n) => n.stop("SIGKILL")));
    await redis?.stop();
    await database?.dispose();
  });

  it("keeps each node serving its own clients, reports degraded, and converges the others after recovery", async () => {
    const people = await Promise.all(
      ["a1", "a2", "b1"].map((name) =>
        createUser(database.db.prisma, name),
      ),
    );
    const room = await createRoom(database.db.prisma, people[0]!, people);
    const [a, b] = nodes as [NodeProcess, NodeProcess];
    const clients = people.map((p, i) => {
      const socket = socketFor(i < 2 ? a.url : b.url, p);
      sockets.push(socket);
      return new DeliveryClient(socket, [room.id]);
    });
    await Promise.all(sockets.map(waitForConnect));
    const [a1, a2, b1] = clients as [DeliveryClient, DeliveryClient, DeliveryClient];

    await redis.kill();
    await until(async () => {
      const r = await fetch(`${a.url}/api/ready`);
      const body = (await r.json()) as { status: string };
      return r.status === 200 && body.status === "degraded";
    }, 10_000, "node A degraded");

    // A node (re)started during the outage comes up degraded instead of crash-looping.
    const late = await startNode({ databaseUrl: database.url!, redisUrl: redis.url, nodeId: "rc" });
    nodes.push(late);
    const lateReady = await fetch(`${late.url}/api/ready`);
    expect(lateReady.status).toBe(200);
    expect(((await lateReady.json()) as { checks: { redis: string } }).checks.redis).toBe("down");

    for (let i = 0; i < 5; i++) a1.send(room.id, `during outage ${i}`);
    await until(() => a1.acked.size === 5, 10_000, "acks while Redis is down");
    await until(() => a2.lastSeq(room.id) === 5, 5_000, "same-node delivery while Redis is down");
    await new Promise((r) => setTimeout(r, 500));
    expect(b1.lastSeq(room.id)).toBe(0); // the other node could not hear it

    // Redis returns; nobody sends anything: the room is quiet.
    await redis.start();
    await until(() => b1.lastSeq(room.id) === 5, 20_000, "node B's client converges without a new message");
    expect(b1.timeline(room.id).map((m) => m.body)).toEqual(Array.from({ length: 5 }, (_, i) => `during outage ${i}`));
    const status = async (n: NodeProcess) => ((await (await fetch(`${n.url}/api/ready`)).json()) as { status: string }).status;
    await until(async () => (await status(b)) === "ok", 10_000, "node B ready again");
    await until(async () => (await status(late)) === "ok", 10_000, "late node connects to Redis");
  });

  // Joins and kicks used to reach this node's own sockets only by a round trip
  // through Redis (server/realtime/user-sockets.ts): never, while it was down.
  it("applies joins and kicks to the node's own sockets at once, even while Redis is down", async () => {
    const [owner, joiner] = await Promise.all(["owner", "joiner"].map((name) => createUser(database.db.prisma, name)));
    const a = nodes[0]!;
    const [ownerSocket, joinerSocket] = [owner!, joiner!].map((u) => socketFor(a.url, u));
    sockets.push(ownerSocket!, joinerSocket!);
    await Promise.all([waitForConnect(ownerSocket!), waitForConnect(joinerSocket!)]);
    const heard = collect<ChatMessage>(joinerSocket!, "message:created");
    const removed = collect<{ roomId: string }>(joinerSocket!, "room:removed");

    await redis.kill();
    await until(async () => ((await (await fetch(`${a.url}/api/ready`)).json()) as { status: string }).status === "degraded", 10_000, "node A degraded");
    try {
      const { room } = await ok<{ room: RoomSummary }>(ownerSocket!, "room:create", { name: `outage-${randomUUID().slice(0, 8)}` });
      await ok(joinerSocket!, "room:join", { roomId: room.id });
      await ok(ownerSocket!, "message:send", { roomId: room.id, clientId: randomUUID(), body: "after the join" });
      await until(() => heard.length === 1, 3_000, "the joiner hears the room with Redis down");
      expect(heard[0]!.body).toBe("after the join");

      await ok(ownerSocket!, "room:kick", { roomId: room.id, userId: joiner!.id });
      await until(() => removed.length === 1, 3_000, "room:removed");
      await ok(ownerSocket!, "message:send", { roomId: room.id, clientId: randomUUID(), body: "after the kick" });
      await new Promise((r) => setTimeout(r, 300));
      expect(heard.map((m) => m.body)).toEqual(["after the join"]);
    } finally {
      // Up again whatever happened, for the tests after this one.
      await redis.start();
    }
    await until(async () => ((await (await fetch(`${a.url}/api/ready`)).json()) as { status: string }).status === "ok", 10_000, "node A ready again");
  });
});
