// Delivery guarantees with several real server processes on one PostgreSQL.
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RoomSummary } from "../../lib/contract";
import { socketFor } from "../support/clients";
import { createTestDatabase, postgresUrl, type TestDatabase } from "../support/databases";
import { DeliveryClient } from "../support/delivery-client";
import { startNode, type NodeProcess } from "../support/node-process";
import { freePort } from "../support/ports";
import { ok, until, waitForConnect, type ClientSocket } from "../support/test-server";

if (!postgresUrl) console.warn("multi-process delivery tests skipped: set TEST_DATABASE_URL (CI does)");

describe.runIf(Boolean(postgresUrl))("delivery across server processes (PostgreSQL)", () => {
  let database: TestDatabase;
  const nodes: NodeProcess[] = [];
  const sockets: ClientSocket[] = [];

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.disconnect();
    await Promise.all(nodes.splice(0).map((n) => n.stop("SIGKILL")));
  });
  afterAll(() => database?.dispose());

  const prisma = () => database.db.prisma;
  const node = async (options: { port?: number } = {}) => {
    const n = await startNode({ databaseUrl: database.url!, ...options });
    nodes.push(n);
    return n;
  };
  const users = (count: number, prefix: string) =>
    Promise.all(
      Array.from({ length: count }, (_, i) =>
        prisma().user.create({ data: { email: `${prefix}${i}-${randomUUID()}@t.test`, name: `${prefix}${i}`, passwordHash: "x" } }),
      ),
    );
  async function roomFor(members: { id: string }[]): Promise<string> {
    const room = await prisma().room.create({
      data: {
        name: `room-${randomUUID().slice(0, 8)}`,
        createdById: members[0]!.id,
        memberships: { create: members.map((m) => ({ userId: m.id })) },
      },
    });
    return room.id;
  }
  const connected = async (url: string | (() => string), user: { id: string; name: string }, reconnection = false) => {
    const socket = socketFor(url, user, { reconnection });
    sockets.push(socket);
    await waitForConnect(socket);
    return socket;
  };

  it("gives 2,000 concurrent messages from 20 clients on two processes the seqs 1..2000, once each", async () => {
    const [a, b] = await Promise.all([node(), node()]);
    const people = await users(20, "sender");
    const roomId = await roomFor(people);
    const clients = await Promise.all(
      people.map(async (p, i) => new DeliveryClient(await connected((i % 2 ? a : b).url, p), [roomId])),
    );
    for (const [i, c] of clients.entries()) for (let k = 0; k < 100; k++) c.send(roomId, `${i}/${k}`);
    await until(() => clients.every((c) => c.acked.size === 100), 60_000, "all acks");

    const stored = await prisma().message.findMany({ where: { roomId }, orderBy: { seq: "asc" } });
    expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    expect(new Set(stored.map((m) => m.clientId)).size).toBe(2000);
    // Each sender's own messages are stored in the order it sent them.
    for (const [i] of clients.entries()) {
      const mine = stored.filter((m) => m.body.startsWith(`${i}/`)).map((m) => Number(m.body.split("/")[1]));
      expect(mine).toEqual(Array.from({ length: 100 }, (_, k) => k));
    }
  });

  it("keeps each room's seqs gap-free and stores every acked message when two processes write to several rooms at once", async () => {
    // Each process batches the sends of all rooms into one statement: the two
    // processes' batches cover overlapping sets of rooms and lock them in turn.
    const [a, b] = await Promise.all([node(), node()]);
    const people = await users(12, "multi");
    const roomIds = await Promise.all(Array.from({ length: 4 }, () => roomFor(people)));
    const clients = await Promise.all(
      people.map(async (p, i) => new DeliveryClient(await connected((i % 2 ? a : b).url, p), roomIds)),
    );
    for (const [i, c] of clients.entries()) {
      for (let k = 0; k < 60; k++) c.send(roomIds[(i + k) % roomIds.length]!, `${i}/${k}`);
    }
    await until(() => clients.every((c) => c.acked.size === 60), 60_000, "all acks");

    const acked = new Set(clients.flatMap((c) => [...c.acked.keys()]));
    for (const roomId of roomIds) {
      const stored = await prisma().message.findMany({ where: { roomId }, orderBy: { seq: "asc" } });
      expect(stored).toHaveLength(180);
      expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: 180 }, (_, i) => i + 1));
      expect(stored.map((m) => m.change)).toEqual(Array.from({ length: 180 }, (_, i) => i + 1));
      for (const m of stored) expect(acked.has(m.clientId)).toBe(true);
      // Each sender's messages in this room are stored in the order it sent them.
      for (const [i] of clients.entries()) {
        const mine = stored.filter((m) => m.body.startsWith(`${i}/`)).map((m) => Number(m.body.split("/")[1]));
        expect(mine).toEqual([...mine].sort((x, y) => x - y));
      }
    }
    expect(acked.size).toBe(720);
  });

  it("replays to a returning client exactly the 500 messages sent through another process while it was away", async () => {
    const [a, b] = await Promise.all([node(), node()]);
    const [talker, sleeper] = await users(2, "pair");
    const roomId = await roomFor([talker!, sleeper!]);
    const sleeperSocket = await connected(a.url, sleeper!);
    const sleeperClient = new DeliveryClient(sleeperSocket, [roomId]);
    sleeperSocket.disconnect();

    const talkerClient = new DeliveryClient(await connected(b.url, talker!), [roomId]);
    for (let i = 0; i < 500; i++) talkerClient.send(roomId, `while you were away ${i}`);
    await until(() => talkerClient.acked.size === 500, 30_000, "talker acks");

    await waitForConnect(sleeperSocket);
    await until(() => sleeperClient.lastSeq(roomId) === 500, 15_000, "replay");
    await new Promise((r) => setTimeout(r, 200));
    const timeline = sleeperClient.timeline(roomId);
    expect(timeline.map((m) => m.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(timeline.map((m) => m.body)).toEqual(Array.from({ length: 500 }, (_, i) => `while you were away ${i}`));
    expect(sleeperClient.redundant).toBe(0);
  });

  it("keeps every acknowledged message when the process is SIGKILLed mid-stream, and stores each resent one once", async () => {
    const port = await freePort();
    let server = await node({ port });
    const [writer] = await users(1, "writer");
    const roomId = await roomFor([writer!]);
    const client = new DeliveryClient(await connected(server.url, writer!, true), [roomId], 2_000);
    const clientIds: string[] = [];
    for (let i = 0; i < 300; i++) clientIds.push(client.send(roomId, `stream ${i}`));

    await until(() => client.acked.size >= 60, 20_000, "some acks before the crash");
    await server.stop("SIGKILL");
    const ackedBeforeCrash = [...client.acked.keys()];
    expect(client.pending).toBeGreaterThan(0);

    server = await node({ port });
    await until(() => client.acked.size === 300, 60_000, "outbox drained after restart");

    const stored = await prisma().message.findMany({ where: { roomId }, orderBy: { seq: "asc" } });
    const storedIds = stored.map((m) => m.clientId);
    for (const id of ackedBeforeCrash) expect(storedIds).toContain(id);
    expect(storedIds).toHaveLength(300);
    expect(new Set(storedIds).size).toBe(300);
    expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    // The writer's own order survived the crash.
    expect(stored.map((m) => m.body)).toEqual(clientIds.map((_, i) => `stream ${i}`));
  });

  it("stops gracefully on SIGTERM: tells its clients, drains writes, exits 0, and the clients carry on elsewhere", async () => {
    const port = await freePort();
    const first = await node({ port });
    const [writer] = await users(1, "graceful");
    const roomId = await roomFor([writer!]);
    const socket = await connected(first.url, writer!, true);
    const notices: string[] = [];
    socket.on("session:notice", (n) => notices.push(n.reason));
    const client = new DeliveryClient(socket, [roomId], 2_000);
    for (let i = 0; i < 200; i++) client.send(roomId, `g${i}`);
    await until(() => client.acked.size >= 40, 20_000, "some acks before the stop");

    const code = await first.stop("SIGTERM");
    expect(code).toBe(0);
    expect(notices).toContain("server_shutdown");
    const stored = await prisma().message.findMany({ where: { roomId }, select: { clientId: true } });
    for (const id of client.acked.keys()) expect(stored.map((m) => m.clientId)).toContain(id);

    await node({ port }); // "another node" on the address the client knows
    await until(() => client.acked.size === 200, 60_000, "outbox drained on the new node");
    const all = await prisma().message.findMany({ where: { roomId }, orderBy: { seq: "asc" } });
    expect(all.map((m) => m.body)).toEqual(Array.from({ length: 200 }, (_, i) => `g${i}`));
  });
});
