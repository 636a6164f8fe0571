// `room:members` in pages over real sockets, on each real database (the order
// and the keyset compare names with the database's own collation).
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MEMBER_SEARCH_MAX_LENGTH, MEMBERS_PAGE_MAX, type RoomMember, type RoomSummary } from "../../lib/contract";
import { memberPageSql } from "../../server/store/prisma/rooms.store";
import { backends } from "../support/databases";
import { genericPlanOf } from "../support/generic-plan";
import { call, ok, startTestServer, type ClientSocket, type TestServer } from "../support/test-server";

interface MembersPage {
  members: RoomMember[];
  next: string | null;
}

describe.each(backends)("room:members pages (%s)", (backend) => {
  let server: TestServer;
  let owner: ClientSocket;
  let room: RoomSummary;

  beforeAll(async () => {
    server = await startTestServer(backend);
    owner = (await server.signUpAndConnect("Olga")).socket;
    room = (await ok<{ room: RoomSummary }>(owner, "room:create", { name: `pages-${randomUUID().slice(0, 8)}` })).room;
  });
  afterAll(() => server?.close());

  /** Members straight in the database (no password hashing: hundreds of them). */
  async function addMembers(roomId: string, names: string[]): Promise<string[]> {
    const { prisma } = server.database.db;
    const users = names.map((name) => ({ id: `u${randomUUID().replace(/-/g, "")}`, email: `${randomUUID()}@example.test`, name, passwordHash: "x" }));
    await prisma.user.createMany({ data: users });
    await prisma.membership.createMany({ data: users.map((u) => ({ roomId, userId: u.id })) });
    return users.map((u) => u.id);
  }

  /** Every page, following `next`. */
  async function allPages(socket: ClientSocket, roomId: string, limit: number, search?: string): Promise<MembersPage[]> {
    const pages: MembersPage[] = [];
    let after: string | undefined;
    do {
      const page = await ok<MembersPage>(socket, "room:members", { roomId, limit, ...(after ? { after } : {}), ...(search ? { search } : {}) });
      pages.push(page);
      after = page.next ?? undefined;
    } while (after && pages.length < 100);
    return pages;
  }

  it("pages through every member once, in the order of one whole answer, with their status", async () => {
    // Same names (the id breaks the tie) and mixed case, across page edges.
    await addMembers(room.id, ["Sam", "sam", "Sam", "Sam", "ann", "Zoe", "Émile", "bob", "Bob", "Ann", "Yu", "Sam", "Carl", "dora"]);
    const whole = await ok<MembersPage>(owner, "room:members", { roomId: room.id });
    expect(whole.members).toHaveLength(15);
    expect(whole.next).toBeNull();

    const pages = await allPages(owner, room.id, 4);
    expect(pages.map((p) => p.members.length)).toEqual([4, 4, 4, 3]);
    expect(pages.slice(0, -1).every((p) => p.next !== null)).toBe(true);
    expect(pages.at(-1)!.next).toBeNull();
    expect(pages.flatMap((p) => p.members)).toEqual(whole.members);
    // A page carries statuses as the whole list does: Olga is connected.
    expect(whole.members.find((m) => m.name === "Olga")?.status).toBe("online");
    expect(whole.members.filter((m) => m.name !== "Olga").every((m) => m.status === "offline")).toBe(true);
  });

  it("a page boundary is a key, not an offset: joins and leaves before it skip and repeat nobody", async () => {
    const before = (await allPages(owner, room.id, 1_000)).flatMap((p) => p.members.map((m) => m.id));
    const first = await ok<MembersPage>(owner, "room:members", { roomId: room.id, limit: 5 });
    expect(first.next).not.toBeNull();
    // Someone on the first page leaves, and someone sorting first joins.
    await server.database.db.prisma.membership.delete({ where: { roomId_userId: { roomId: room.id, userId: first.members[1]!.id } } });
    const [early] = await addMembers(room.id, ["Aaron"]);
    const rest = await ok<MembersPage>(owner, "room:members", { roomId: room.id, limit: 1_000, after: first.next! });
    expect(rest.members.map((m) => m.id)).toEqual(before.slice(5));
    expect(rest.members.map((m) => m.id)).not.toContain(early);
  });

  it("asks for at most MEMBERS_PAGE_MAX by default, and says where the next page starts", async () => {
    const big = (await ok<{ room: RoomSummary }>(owner, "room:create", { name: `big-${randomUUID().slice(0, 8)}` })).room;
    await addMembers(big.id, Array.from({ length: MEMBERS_PAGE_MAX + 1 }, (_, i) => `m${String(i).padStart(4, "0")}`));
    const first = await ok<MembersPage>(owner, "room:members", { roomId: big.id });
    expect(first.members).toHaveLength(MEMBERS_PAGE_MAX);
    const second = await ok<MembersPage>(owner, "room:members", { roomId: big.id, after: first.next! });
    expect(second.next).toBeNull();
    const ids = new Set([...first.members, ...second.members].map((m) => m.id));
    expect(ids.size).toBe(MEMBERS_PAGE_MAX + 2); // with Olga, once each
  });

  it("searches names for a part of them, ignoring case and taking % and _ literally, in pages too", async () => {
    const club = (await ok<{ room: RoomSummary }>(owner, "room:create", { name: `search-${randomUUID().slice(0, 8)}` })).room;
    await addMembers(club.id, ["Zed", "zed-2", "Ozedo", "Zack", "50% off", "5000 off", "a_b", "axb", "back\\slash", "backslash"]);
    const whole = (await ok<MembersPage>(owner, "room:members", { roomId: club.id })).members;
    const search = async (text: string, limit?: number) => (await allPages(owner, club.id, limit ?? 1_000, text)).flatMap((p) => p.members.map((m) => m.name));
    const expected = (test: (name: string) => boolean) => whole.map((m) => m.name).filter(test);

    expect(await search("ZED")).toEqual(expected((n) => n.toLowerCase().includes("zed")));
    expect(await search("ZED")).toHaveLength(3);
    expect(await search("zed", 1)).toEqual(await search("zed")); // pages of one, following `next` with the same search
    expect(await search("50%")).toEqual(["50% off"]);
    expect(await search("a_b")).toEqual(["a_b"]);
    expect(await search("k\\s")).toEqual(["back\\slash"]);
    expect(await search("  axb  ")).toEqual(["axb"]); // trimmed
    expect(await search("nobody")).toEqual([]);
    // Pages and searches read the names the database copies into memberships; a rename
    // (no command does it yet: straight in the database) reaches them.
    const ozedo = whole.find((m) => m.name === "Ozedo")!;
    await server.database.db.prisma.user.update({ where: { id: ozedo.id }, data: { name: "Ozzy renamed" } });
    expect(await search("zed")).toHaveLength(2);
    expect(await search("renamed")).toEqual(["Ozzy renamed"]);
    for (const bad of ["   ", "x".repeat(MEMBER_SEARCH_MAX_LENGTH + 1)]) {
      expect(await call(owner, "room:members", { roomId: club.id, search: bad })).toMatchObject({ ok: false, error: { code: "invalid_payload" } });
    }
  });

  // Statements on Database.sql's connections keep a generic plan: planned once,
  // maybe while the tables are small, it must still read the room's range of the
  // name index and look users up by id, never scan either table.
  it("reads a page from the room's range of the name index, whatever the page asks", async () => {
    for (const [options, args] of [
      [{ after: false, search: false }, "'r', 100"],
      [{ after: true, search: false }, "'r', 'name', 'id', 100"],
      [{ after: true, search: true }, "'r', 'name', 'id', '%x%', 100"],
    ] as const) {
      const plan = await genericPlanOf(server.database, memberPageSql(options), args);
      expect(plan, JSON.stringify(options)).toContain("memberships_room_id_member_name_user_id_idx");
      expect(plan, JSON.stringify(options)).not.toMatch(/Seq Scan on (memberships|users)\b|Sort/);
    }
  });

  it("refuses a cursor it did not make, a page size out of bounds, and non-members with a valid cursor", async () => {
    const first = await ok<MembersPage>(owner, "room:members", { roomId: room.id, limit: 2 });
    for (const after of ["not a cursor", Buffer.from(JSON.stringify({ name: "a" })).toString("base64url"), Buffer.from("[1,2]").toString("base64url")]) {
      const answer = await call(owner, "room:members", { roomId: room.id, after });
      expect(answer).toMatchObject({ ok: false, error: { code: "invalid_payload" } });
    }
    for (const limit of [0, MEMBERS_PAGE_MAX + 1, 1.5]) {
      expect(await call(owner, "room:members", { roomId: room.id, limit })).toMatchObject({ ok: false, error: { code: "invalid_payload" } });
    }
    const stranger = await server.signUpAndConnect("Stranger");
    expect(await call(stranger.socket, "room:members", { roomId: room.id, after: first.next! })).toMatchObject({
      ok: false,
      error: { code: "forbidden" },
    });
    // The node is fine.
    expect((await ok<MembersPage>(owner, "room:members", { roomId: room.id, limit: 2 })).members).toEqual(first.members);
  });
});
