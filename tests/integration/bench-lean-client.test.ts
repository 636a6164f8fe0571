// The load generator's clients (bench/lib/bench-socket.ts): the lean client
// speaks the Socket.IO protocol by hand, so it is checked against a real
// Parley server and a real bare Socket.IO server; socket.io-client behind the
// same interface is checked alongside, so either one can drive the bench.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AckResult, ChatMessage, RoomSummary } from "../../lib/contract";
import { CLIENT_KINDS, createBenchSocket, type BenchSocket } from "../../bench/lib/bench-socket";
import { startTestServer, until, type TestServer } from "../support/test-server";

describe.each(CLIENT_KINDS)("the bench's %s client against Parley", (kind) => {
  let server: TestServer;
  const sockets: BenchSocket[] = [];
  const tokenFor = async (user: { id: string; name: string }) => (await server.services.tokens.issue({ ...user, role: "USER" })).token;
  const connected = async (user: { id: string; name: string }) => {
    const socket = createBenchSocket(kind, server.url, { token: await tokenFor(user) });
    sockets.push(socket);
    await socket.connect(5_000);
    return socket;
  };

  beforeAll(async () => {
    server = await startTestServer("pglite");
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await server?.close();
  });

  it("is refused with the server's reason for a bad token", async () => {
    const socket = createBenchSocket(kind, server.url, { token: "not-a-token" });
    await expect(socket.connect(5_000)).rejects.toThrow("unauthorized");
    expect(socket.connected).toBe(false);
  });

  it("sends commands with acknowledgements and receives a room's events", async () => {
    const alice = await connected(await server.createUser("Alice"));
    const bob = await connected(await server.createUser("Bob"));
    expect(alice.connected).toBe(true);

    const created = await alice.emitWithAck<AckResult<{ room: RoomSummary }>>("room:create", { name: `lean ${kind}`, isPublic: true }, 5_000);
    if (!created.ok) throw new Error(created.error.code);
    const roomId = created.data.room.id;
    const joined = await bob.emitWithAck<AckResult<{ lastSeq: number }>>("room:join", { roomId }, 5_000);
    expect(joined).toMatchObject({ ok: true, data: { lastSeq: 0 } });

    const heard: ChatMessage[] = [];
    bob.on("message:created", (m: ChatMessage) => heard.push(m));
    const acks: AckResult<{ message: ChatMessage }>[] = [];
    for (const body of ["one", "two"]) {
      alice.emit("message:send", { roomId, clientId: crypto.randomUUID(), body }, (r: AckResult<{ message: ChatMessage }>) => acks.push(r));
    }
    await until(() => acks.length === 2 && heard.length === 2, 5_000, "acks and deliveries");
    expect(acks.map((a) => a.ok && a.data.message.seq).sort()).toEqual([1, 2]);
    expect(heard.map((m) => m.body).sort()).toEqual(["one", "two"]);
    // A refused command answers its error through the same acknowledgement.
    expect(await alice.emitWithAck("message:send", { roomId, clientId: "x", body: "" }, 5_000)).toMatchObject({
      ok: false,
      error: { code: "invalid_payload" },
    });
  });

  it("connects again after a disconnect (the replay phase does)", async () => {
    const user = await server.createUser("Carol");
    const socket = createBenchSocket(kind, server.url, { token: await tokenFor(user) });
    sockets.push(socket);
    await socket.connect(5_000);
    socket.disconnect();
    expect(socket.connected).toBe(false);
    await socket.connect(5_000);
    // The first connection's close must not mark the second one closed.
    await new Promise((r) => setTimeout(r, 200));
    expect(socket.connected).toBe(true);
    expect(await socket.emitWithAck("room:list", {}, 5_000)).toMatchObject({ ok: true });
  });
});

describe("the lean client against a bare Socket.IO server", () => {
  let io: Server;
  let url: string;
  beforeAll(async () => {
    const http = createServer();
    // Pings every 50 ms: a client that does not answer them is dropped after 50 ms more.
    io = new Server(http, { pingInterval: 50, pingTimeout: 50 });
    io.on("connection", (socket) => {
      socket.on("kick-me", () => socket.disconnect());
      socket.emit("hello", socket.handshake.auth);
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(() => io?.close());

  it("hands the server its auth and stays connected by answering pings", async () => {
    const socket = createBenchSocket("lean", url, { rooms: ["a"], userId: "u1" });
    const hello: unknown[] = [];
    socket.on("hello", (auth: unknown) => hello.push(auth));
    await socket.connect(5_000);
    await new Promise((r) => setTimeout(r, 400));
    expect(socket.connected).toBe(true);
    expect(io.engine.clientsCount).toBe(1);
    expect(hello).toEqual([{ rooms: ["a"], userId: "u1" }]);
    socket.disconnect();
    await until(() => io.engine.clientsCount === 0, 2_000, "server sees the disconnect");
  });

  it("notices when the server disconnects it", async () => {
    const socket = createBenchSocket("lean", url, {});
    await socket.connect(5_000);
    socket.emit("kick-me", {});
    await until(() => !socket.connected, 2_000, "disconnected by the server");
  });

  it("fails a connect to nothing", async () => {
    await expect(createBenchSocket("lean", "http://127.0.0.1:9", {}).connect(2_000)).rejects.toThrow();
  });
});
