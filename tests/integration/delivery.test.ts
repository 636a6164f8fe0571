// Delivery guarantees on one server: no loss, no duplicates, replay after absence.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatMessage, RoomSummary } from "../../lib/contract";
import { backends } from "../support/databases";
import { DeliveryClient } from "../support/delivery-client";
import { call, collect, ok, startTestServer, until, waitForConnect, type TestServer } from "../support/test-server";

describe.each(backends)("delivery (%s)", (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend);
  });
  afterAll(() => server?.close());

  async function roomWith(...names: string[]) {
    const people = await Promise.all(names.map((n) => server.signUpAndConnect(n)));
    const { room } = await ok<{ room: RoomSummary }>(people[0]!.socket, "room:create", {
      name: `r-${randomUUID().slice(0, 8)}`,
    });
    for (const p of people.slice(1)) await ok(p.socket, "room:join", { roomId: room.id });
    return { room, people };
  }

  it("stores a message once and broadcasts it once when the connection drops before the ack and the client resends", async () => {
    const { room, people } = await roomWith("Sender", "Watcher");
    const [sender, watcher] = people as [(typeof people)[0], (typeof people)[0]];
    const seen = collect<ChatMessage>(watcher.socket, "message:created");
    const clientId = randomUUID();
    let firstAck = false;
    // Cut the connection the moment the server has received the send (as a
    // network failure would: no goodbye packet): it stores the message, but the
    // ack has nowhere to go.
    const serverSide = server.realtime.io.of("/").sockets.get(sender.socket.id ?? "");
    serverSide?.onAny((event: string) => {
      // After this tick, so the handler has already taken the send.
      if (event === "message:send") setImmediate(() => serverSide.conn.close());
    });
    sender.socket.emit("message:send", { roomId: room.id, clientId, body: "are you there?" }, () => (firstAck = true));
    const prisma = server.database.db.prisma;
    await until(async () => (await prisma.message.count({ where: { clientId } })) === 1, 5_000, "first attempt stored");
    expect(firstAck).toBe(false);

    await until(() => !sender.socket.connected, 5_000, "client notices the cut");
    sender.socket.disconnect(); // the test drives the reconnect
    await waitForConnect(sender.socket);
    const retry = await call<{ message: ChatMessage }>(sender.socket, "message:send", {
      roomId: room.id,
      clientId,
      body: "are you there?",
    });
    expect(retry.ok).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(await prisma.message.count({ where: { clientId } })).toBe(1);
    expect(seen.filter((m) => m.clientId === clientId)).toHaveLength(1);
  });

  it("replays exactly what a client missed while it was offline, in order, once", async () => {
    const { room, people } = await roomWith("Talker", "Sleeper");
    const [talker, sleeper] = people as [(typeof people)[0], (typeof people)[0]];
    const client = new DeliveryClient(sleeper.socket, [room.id]);
    await ok(talker.socket, "message:send", { roomId: room.id, clientId: randomUUID(), body: "before" });
    await until(() => client.lastSeq(room.id) === 1, 5_000, "first message");

    sleeper.socket.disconnect();
    for (let i = 0; i < 500; i++) {
      talker.socket.emit("message:send", { roomId: room.id, clientId: randomUUID(), body: `missed ${i}` }, () => {});
    }
    await until(async () => (await server.database.db.prisma.message.count({ where: { roomId: room.id } })) === 501, 20_000);

    await waitForConnect(sleeper.socket);
    await until(() => client.lastSeq(room.id) === 501, 20_000, "replay");
    const timeline = client.timeline(room.id);
    expect(timeline.map((m) => m.seq)).toEqual(Array.from({ length: 501 }, (_, i) => i + 1));
    expect(timeline.slice(1).map((m) => m.body)).toEqual(Array.from({ length: 500 }, (_, i) => `missed ${i}`));
    expect(client.redundant).toBe(0);
  });
});
