// Moderation: kick, ban, mute, and suspending an account, on live sockets.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatMessage, RoomRemoved, RoomSummary } from "../../lib/contract";
import { call, collect, ok, startTestServer, until, type ClientSocket, type TestServer } from "../support/test-server";

describe("moderation", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer("pglite");
  });
  afterAll(() => server?.close());

  async function setup() {
    const owner = await server.signUpAndConnect("Owner");
    const member = await server.signUpAndConnect("Member");
    const { room } = await ok<{ room: RoomSummary }>(owner.socket, "room:create", { name: `mod-${randomUUID().slice(0, 8)}` });
    await ok(member.socket, "room:join", { roomId: room.id });
    return { owner, member, room };
  }
  const send = (socket: ClientSocket, roomId: string, body = "hi") =>
    call<{ message: ChatMessage }>(socket, "message:send", { roomId, clientId: randomUUID(), body });

  it("lets the owner kick a member: their sockets leave the room at once and they are told why", async () => {
    const { owner, member, room } = await setup();
    const secondTab = await server.connectAs(member.user);
    const removed = collect<RoomRemoved>(secondTab, "room:removed");
    const seenByTab = collect<ChatMessage>(secondTab, "message:created");
    await ok(owner.socket, "room:kick", { roomId: room.id, userId: member.user.id });
    await until(() => removed.length === 1, 5_000, "room:removed");
    expect(removed[0]).toMatchObject({ roomId: room.id, reason: "kicked", by: { name: "Owner" } });
    await ok(owner.socket, "message:send", { roomId: room.id, clientId: randomUUID(), body: "after the kick" });
    await new Promise((r) => setTimeout(r, 200));
    expect(seenByTab).toHaveLength(0);
    expect(await send(member.socket, room.id)).toMatchObject({ ok: false, error: { code: "forbidden" } });
    // A kick is not a ban: a public room can be joined again.
    expect((await call(member.socket, "room:join", { roomId: room.id })).ok).toBe(true);
  });

  it("keeps a banned member out until unbanned", async () => {
    const { owner, member, room } = await setup();
    await ok(owner.socket, "room:ban", { roomId: room.id, userId: member.user.id, reason: "spam" });
    expect(await call(member.socket, "room:join", { roomId: room.id })).toMatchObject({ ok: false, error: { code: "banned" } });
    await ok(owner.socket, "room:unban", { roomId: room.id, userId: member.user.id });
    expect((await call(member.socket, "room:join", { roomId: room.id })).ok).toBe(true);
  });

  it("mutes and unmutes: a muted member can read but not send", async () => {
    const { owner, member, room } = await setup();
    const muted = await ok<{ mutedUntil: string | null }>(owner.socket, "room:mute", { roomId: room.id, userId: member.user.id, minutes: 10 });
    expect(new Date(muted.mutedUntil ?? 0).getTime()).toBeGreaterThan(Date.now());
    expect(await send(member.socket, room.id)).toMatchObject({ ok: false, error: { code: "muted" } });
    expect((await call(member.socket, "room:history", { roomId: room.id })).ok).toBe(true);
    // Someone opening the member list later sees the mute too.
    const { members } = await ok<{ members: { id: string; mutedUntil: string | null }[] }>(owner.socket, "room:members", { roomId: room.id });
    expect(members.find((m) => m.id === member.user.id)?.mutedUntil).toBe(muted.mutedUntil);
    expect(members.find((m) => m.id === owner.user.id)?.mutedUntil).toBeNull();
    await ok(owner.socket, "room:mute", { roomId: room.id, userId: member.user.id, minutes: 0 });
    expect((await send(member.socket, room.id)).ok).toBe(true);
  });

  it("refuses moderation by plain members and of someone of equal or higher rank", async () => {
    const { owner, member, room } = await setup();
    expect(await call(member.socket, "room:kick", { roomId: room.id, userId: owner.user.id })).toMatchObject({
      ok: false,
      error: { code: "forbidden" },
    });
    expect(await call(owner.socket, "room:kick", { roomId: room.id, userId: owner.user.id })).toMatchObject({
      ok: false,
      error: { code: "invalid_payload" },
    });
    expect(await call(member.socket, "user:ban", { userId: owner.user.id })).toMatchObject({
      ok: false,
      error: { code: "forbidden" },
    });
  });

  it("lets an admin suspend an account: every connection is dropped and new ones are refused", async () => {
    const { member } = await setup();
    const adminUser = await server.createUser("Admin");
    await server.database.db.prisma.user.update({ where: { id: adminUser.id }, data: { role: "ADMIN" } });
    const admin = await server.connectAs({ ...adminUser, role: "ADMIN" });
    const notices = collect<{ reason: string }>(member.socket, "session:notice");
    let reason = "";
    member.socket.once("disconnect", (r) => (reason = r));
    await ok(admin, "user:ban", { userId: member.user.id });
    await until(() => reason !== "", 5_000, "suspended user disconnected");
    expect(reason).toBe("io server disconnect"); // no automatic reconnect
    expect(notices).toEqual([{ reason: "banned" }]);
    const again = await server.connectAs(member.user, { autoConnect: false });
    const err = await new Promise<Error>((resolve) => {
      again.once("connect_error", resolve);
      again.connect();
    });
    expect(err.message).toBe("banned");
  });
});
