// What `npm run bench:users` and `npm run bench:artillery` hand to an external
// load tester (bench/lib/load-users.ts): accounts, rooms and socket tokens made
// in bulk. Checked against a real server: each token authenticates as its user,
// the room its line names is that user's (a send there is stored, a send to
// another user's room is refused), the password signs in, and the CSV's columns
// are in the order bench/artillery.yml reads them.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io, type Socket } from "socket.io-client";
import type { AckResult, ChatMessage } from "../../lib/contract";
import { createLoadUsers, toArtilleryCsv, toJsonLines, type LoadUser } from "../../bench/lib/load-users";
import { TEST_AUTH_SECRET } from "../support/node-process";
import { startTestServer, type TestServer } from "../support/test-server";

describe("load-tester users and tokens", () => {
  let server: TestServer;
  let users: LoadUser[];
  const sockets: Socket[] = [];
  const connectWith = (token: string) =>
    new Promise<Socket>((resolve, reject) => {
      const socket = io(server.url, { forceNew: true, transports: ["websocket"], reconnection: false, auth: { token } });
      sockets.push(socket);
      socket.once("connect", () => resolve(socket));
      socket.once("connect_error", reject);
    });
  const send = (socket: Socket, roomId: string, clientId: string) =>
    socket.timeout(5_000).emitWithAck("message:send", { roomId, clientId, body: "load" }) as Promise<AckResult<{ message: ChatMessage }>>;

  beforeAll(async () => {
    server = await startTestServer("pglite");
    ({ users } = await createLoadUsers(server.database.db.prisma, {
      count: 7,
      rooms: 3,
      secret: TEST_AUTH_SECRET,
      ttlSeconds: 600,
      password: "load tester password",
    }));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await server?.close();
  });

  it("spreads the users over the rooms, one line each", () => {
    expect(users).toHaveLength(7);
    expect(new Set(users.map((u) => u.userId)).size).toBe(7);
    expect(new Set(users.map((u) => u.roomId)).size).toBe(3);
    // User i is in room i mod 3.
    expect(users[3]!.roomId).toBe(users[0]!.roomId);
    expect(users[1]!.roomId).not.toBe(users[0]!.roomId);
  });

  it("gives tokens that authenticate as their user, in the room their line names and no other", async () => {
    const [first, second] = users;
    const socket = await connectWith(first!.token);
    const sent = await send(socket, first!.roomId, randomUUID());
    if (!sent.ok) throw new Error(`send refused: ${sent.error.code}`);
    expect(sent.data.message.author.id).toBe(first!.userId);
    expect(await server.database.db.prisma.message.count({ where: { roomId: first!.roomId, authorId: first!.userId } })).toBe(1);

    const elsewhere = await send(socket, second!.roomId, randomUUID());
    expect(elsewhere).toMatchObject({ ok: false, error: { code: "forbidden" } });
  });

  it("signs its users in with the password it was given", async () => {
    const user = users[2]!;
    expect(await server.services.users.verifyCredentials({ email: user.email, password: "load tester password" })).toMatchObject({ id: user.userId });
    expect(await server.services.users.verifyCredentials({ email: user.email, password: "another password" })).toBeNull();
  });

  it("writes the CSV in the columns bench/artillery.yml names (token, roomId, userId) and the JSONL whole", () => {
    const lines = toArtilleryCsv(users).trimEnd().split("\n");
    expect(lines).toHaveLength(users.length);
    expect(lines[4]!.split(",")).toEqual([users[4]!.token, users[4]!.roomId, users[4]!.userId]);
    const parsed = toJsonLines(users).trimEnd().split("\n").map((line) => JSON.parse(line) as LoadUser);
    expect(parsed).toEqual(users);
  });
});
