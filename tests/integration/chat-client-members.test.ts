// The browser's ChatClient (lib/client/chat-client.ts) in Node, against a real
// server over a real socket: how it keeps a big room's member list, which comes
// in pages. The room-wide presence limit is lowered to 20, so a room of more
// than 10 members is "big" for the client (shouldWatchPresence).
import { randomUUID } from "node:crypto";
import { io } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatClient, type ChatSocket, type RoomMembersState } from "../../lib/client/chat-client";
import { COMMAND_RATE_LIMIT } from "../../server/realtime/command";
import { MEMBERS_SCROLL_PAGE, type RoomSummary } from "../../lib/contract";
import { call, ok, startTestServer, until, type ClientSocket, type TestServer } from "../support/test-server";

const ROOM_WIDE_MAX = 20;

describe("ChatClient: a big room's member list in pages (in-process, embedded mode)", () => {
  let server: TestServer;
  const clients: ChatClient[] = [];

  beforeAll(async () => {
    server = await startTestServer("pglite", { presenceRoomWideMaxMembers: ROOM_WIDE_MAX });
  });
  afterAll(async () => {
    for (const client of clients) client.stop();
    await server?.close();
  });

  /** The socket each ChatClient made, by client. */
  const socketOf = new Map<ChatClient, ChatSocket>();

  /** A started ChatClient for `user`, as a tab would run it (no outbox persistence). */
  async function clientFor(user: { id: string; name: string }): Promise<ChatClient> {
    let socket: ChatSocket | undefined;
    const client = new ChatClient({
      me: { id: user.id, name: user.name },
      presenceRoomWideMaxMembers: ROOM_WIDE_MAX,
      onSignedOut: () => {},
      fetchToken: async () => ({ ...(await server.services.tokens.issue({ ...user, role: "USER" })), receivedAt: Date.now() }),
      createSocket: (auth) => (socket = io(server.url, { autoConnect: false, forceNew: true, transports: ["websocket"], auth, reconnectionDelay: 100 })),
      outbox: { storage: null, locks: null },
    });
    clients.push(client);
    socketOf.set(client, socket!);
    client.start();
    await until(() => client.getState().roomsStatus === "ready", 10_000, "rooms loaded");
    return client;
  }

  /** A room whose owner is `owner`, with `count` more members named m000, m001, ... (straight in the database). */
  async function bigRoom(owner: { id: string }, count: number): Promise<{ roomId: string; memberIds: string[] }> {
    const { prisma } = server.database.db;
    const roomId = `r${randomUUID().replace(/-/g, "")}`;
    const users = Array.from({ length: count }, (_, i) => ({
      id: `u${randomUUID().replace(/-/g, "")}`,
      email: `${randomUUID()}@example.test`,
      name: `m${String(i).padStart(3, "0")}`,
      passwordHash: "x",
    }));
    await prisma.user.createMany({ data: users });
    await prisma.room.create({ data: { id: roomId, name: roomId, createdById: owner.id, memberships: { create: [{ userId: owner.id, role: "OWNER" }] } } });
    await prisma.membership.createMany({ data: users.map((u) => ({ roomId, userId: u.id })) });
    return { roomId, memberIds: users.map((u) => u.id) };
  }

  const membersOf = (client: ChatClient, roomId: string): RoomMembersState | undefined => client.getState().members[roomId];
  const ready = (client: ChatClient, roomId: string, length: number) =>
    until(() => membersOf(client, roomId)?.status === "ready" && membersOf(client, roomId)?.list.length === length, 10_000, `${length} members loaded`);

  it("loads a page at a time as asked, each member once, and says when every member is loaded", async () => {
    const owner = await server.createUser("Owner");
    const { roomId } = await bigRoom(owner, 2 * MEMBERS_SCROLL_PAGE + 30);
    const client = await clientFor(owner);
    client.openMembers(roomId);
    await ready(client, roomId, MEMBERS_SCROLL_PAGE);
    expect(membersOf(client, roomId)).toMatchObject({ paged: true, next: expect.any(String) });

    client.loadMoreMembers(roomId);
    client.loadMoreMembers(roomId); // while one page loads, asking again does nothing
    await ready(client, roomId, 2 * MEMBERS_SCROLL_PAGE);
    client.loadMoreMembers(roomId);
    await ready(client, roomId, 2 * MEMBERS_SCROLL_PAGE + 31); // with the owner
    const state = membersOf(client, roomId)!;
    expect(state.next).toBeNull();
    expect(new Set(state.list.map((m) => m.id)).size).toBe(state.list.length);
  });

  it("keeps membership changes made while a page loads: a joiner once, a leaver gone", async () => {
    const owner = await server.createUser("Owner");
    const { roomId, memberIds } = await bigRoom(owner, MEMBERS_SCROLL_PAGE + 50);
    const client = await clientFor(owner);
    client.openMembers(roomId);
    await ready(client, roomId, MEMBERS_SCROLL_PAGE);

    // A member on the next page leaves, and a newcomer sorting after everyone joins, while that page loads.
    const leaver = memberIds[MEMBERS_SCROLL_PAGE + 10]!; // m110 sorts after the first page (Owner, m000..m098)
    const leaverName = `m${MEMBERS_SCROLL_PAGE + 10}`;
    const leaverSocket = await server.connectAs({ id: leaver, name: leaverName });
    const joiner = await server.createUser("zz-newcomer");
    const joinerSocket = await server.connectAs(joiner);
    client.loadMoreMembers(roomId);
    await Promise.all([ok(leaverSocket, "room:leave", { roomId }), ok(joinerSocket, "room:join", { roomId })]);
    await until(() => membersOf(client, roomId)?.status === "ready" && membersOf(client, roomId)?.next === null, 10_000, "last page");
    await until(() => !membersOf(client, roomId)!.list.some((m) => m.id === leaver), 5_000, "the leaver gone");
    const ids = membersOf(client, roomId)!.list.map((m) => m.id);
    expect(ids.filter((id) => id === joiner.id)).toHaveLength(1);
    expect(ids).toHaveLength(MEMBERS_SCROLL_PAGE + 50 + 1); // owner + members - leaver + joiner
  });

  it("after a reconnect, a list on screen starts again from its first page", async () => {
    const owner = await server.createUser("Owner");
    const { roomId } = await bigRoom(owner, MEMBERS_SCROLL_PAGE + 20);
    const client = await clientFor(owner);
    const hide = client.showMembers(roomId);
    client.openMembers(roomId);
    await ready(client, roomId, MEMBERS_SCROLL_PAGE);
    client.loadMoreMembers(roomId);
    await ready(client, roomId, MEMBERS_SCROLL_PAGE + 21);

    // The tab's connection drops (a node restart looks the same to it): a transport close, which clients reconnect after.
    for (const socket of server.realtime.io.sockets.sockets.values()) if (socket.data.user.id === owner.id) socket.conn.close();
    await until(() => membersOf(client, roomId)?.list.length === MEMBERS_SCROLL_PAGE, 10_000, "the first page again");
    expect(membersOf(client, roomId)!.next).not.toBeNull();
    hide();
  });

  it("searches a paged list on the server, keeps joiners out of a search they do not match, and shows everyone again when cleared", async () => {
    const owner = await server.createUser("Owner");
    const { roomId } = await bigRoom(owner, MEMBERS_SCROLL_PAGE + 50); // m000 ... m149
    const client = await clientFor(owner);
    client.openMembers(roomId);
    await ready(client, roomId, MEMBERS_SCROLL_PAGE);

    client.searchMembers(roomId, "  M14 "); // m140 ... m149
    await until(() => membersOf(client, roomId)?.search === "M14" && membersOf(client, roomId)?.status === "ready", 10_000, "search answered");
    const names = () => membersOf(client, roomId)!.list.map((m) => m.name).sort();
    expect(names()).toEqual(Array.from({ length: 10 }, (_, i) => `m14${i}`));
    expect(membersOf(client, roomId)!.next).toBeNull();

    // Two join while searching: only the one whose name matches shows.
    const [matching, other] = [await server.createUser("m14-new"), await server.createUser("newcomer")];
    for (const user of [other, matching]) await ok(await server.connectAs(user), "room:join", { roomId });
    await until(() => membersOf(client, roomId)!.list.some((m) => m.id === matching.id), 5_000, "the matching joiner shown");
    expect(membersOf(client, roomId)!.list.some((m) => m.id === other.id)).toBe(false);

    client.searchMembers(roomId, "");
    await until(() => membersOf(client, roomId)?.search === "" && membersOf(client, roomId)?.status === "ready", 10_000, "search cleared");
    expect(membersOf(client, roomId)!.list).toHaveLength(MEMBERS_SCROLL_PAGE);
    expect(membersOf(client, roomId)!.next).not.toBeNull();
  });

  it("a search refused shows no other search's members and loads when tried again", async () => {
    const owner = await server.createUser("Owner");
    const { roomId } = await bigRoom(owner, MEMBERS_SCROLL_PAGE + 50);
    const client = await clientFor(owner);
    client.openMembers(roomId);
    await ready(client, roomId, MEMBERS_SCROLL_PAGE);

    // Spend the socket's command budget (COMMAND_RATE_LIMIT) just before the search, on the same socket, so it is refused.
    // A second's refill more than the budget: on a loaded machine the burst can take longer than one refill to arrive.
    const socket = socketOf.get(client)! as unknown as ClientSocket;
    const spend = COMMAND_RATE_LIMIT.capacity + COMMAND_RATE_LIMIT.refillPerSecond;
    const burst = Promise.all(Array.from({ length: spend }, () => call(socket, "room:list", {})));
    client.searchMembers(roomId, "m14");
    await burst;
    await until(() => membersOf(client, roomId)?.status === "error", 5_000, "the search refused");
    expect(membersOf(client, roomId)).toMatchObject({ search: "m14", list: [], next: null, error: { code: "rate_limited" } });

    await new Promise((r) => setTimeout(r, 1_000)); // the budget refills
    client.openMembers(roomId); // "Try again"
    await ready(client, roomId, 10);
    expect(membersOf(client, roomId)!.list.every((m) => m.name.startsWith("m14"))).toBe(true);
  });

  it("a room below the limit comes whole and is not paged", async () => {
    const owner = await server.createUser("Owner");
    const { roomId } = await bigRoom(owner, ROOM_WIDE_MAX / 2 - 1); // with the owner: half the limit
    const client = await clientFor(owner);
    const room: RoomSummary | undefined = client.findRoom(roomId);
    expect(room?.memberCount).toBe(ROOM_WIDE_MAX / 2);
    client.openMembers(roomId);
    await ready(client, roomId, ROOM_WIDE_MAX / 2);
    expect(membersOf(client, roomId)).toMatchObject({ paged: false, next: null });
  });
});
