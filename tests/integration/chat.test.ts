import { randomUUID } from "node:crypto";
import { io as connect } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatMessage, Page, RoomSummary } from "../../lib/contract";
import { backends } from "../support/databases";
import { call, collect, ok, startTestServer, until, type ClientSocket, type TestServer } from "../support/test-server";

describe.each(backends)("chat over real sockets (%s)", (backend) => {
  let server: TestServer;
  let alice: ClientSocket;
  let bob: ClientSocket;
  let aliceId: string;
  let room: RoomSummary;

  beforeAll(async () => {
    server = await startTestServer(backend);
    const a = await server.signUpAndConnect("Alice");
    const b = await server.signUpAndConnect("Bob");
    alice = a.socket;
    bob = b.socket;
    aliceId = a.user.id;
    room = (await ok<{ room: RoomSummary }>(alice, "room:create", { name: `general-${backend}`, isPublic: true })).room;
    await ok(bob, "room:join", { roomId: room.id });
  });
  afterAll(() => server?.close());

  const send = (socket: ClientSocket, body: string, clientId = randomUUID(), roomId = room.id) =>
    call<{ message: ChatMessage }>(socket, "message:send", { roomId, clientId, body });

  describe("handshake", () => {
    it("refuses a socket without a token with `unauthorized`", async () => {
      const socket = connect(server.url, { forceNew: true, transports: ["websocket"], reconnection: false });
      const err = await new Promise<Error & { data?: { code: string } }>((resolve) => socket.once("connect_error", resolve));
      socket.close();
      expect(err.message).toBe("unauthorized");
      expect(err.data?.code).toBe("unauthorized");
    });

    it("refuses a forged token", async () => {
      const socket = connect(server.url, {
        forceNew: true,
        transports: ["websocket"],
        reconnection: false,
        auth: { token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.bogus" },
      });
      const err = await new Promise<Error>((resolve) => socket.once("connect_error", resolve));
      socket.close();
      expect(err.message).toBe("unauthorized");
    });
  });

  describe("rooms", () => {
    it("lists public rooms with the caller's membership", async () => {
      const { rooms } = await ok<{ rooms: RoomSummary[] }>(bob, "room:list", {});
      const listed = rooms.find((r) => r.id === room.id);
      expect(listed?.membership?.role).toBe("MEMBER");
      expect(listed?.memberCount).toBe(2);
    });

    it("rejects a duplicate room name with `conflict` and a bad name with `invalid_payload`", async () => {
      expect(await call(bob, "room:create", { name: room.name })).toMatchObject({ ok: false, error: { code: "conflict" } });
      expect(await call(bob, "room:create", { name: "" })).toMatchObject({ ok: false, error: { code: "invalid_payload" } });
      expect(await call(bob, "room:create", { name: "x".repeat(49) })).toMatchObject({
        ok: false,
        error: { code: "invalid_payload" },
      });
    });

    it("keeps private rooms out of other people's lists and refuses to let them join", async () => {
      const { room: secret } = await ok<{ room: RoomSummary }>(alice, "room:create", {
        name: `secret-${backend}`,
        isPublic: false,
      });
      const { rooms } = await ok<{ rooms: RoomSummary[] }>(bob, "room:list", {});
      expect(rooms.some((r) => r.id === secret.id)).toBe(false);
      expect(await call(bob, "room:join", { roomId: secret.id })).toMatchObject({ ok: false, error: { code: "forbidden" } });
    });

    it("answers `not_found` for an unknown room", async () => {
      expect(await call(bob, "room:join", { roomId: "nope" })).toMatchObject({ ok: false, error: { code: "not_found" } });
      expect(await send(bob, "hi", randomUUID(), "nope")).toMatchObject({ ok: false, error: { code: "not_found" } });
    });

    it("tells members when someone joins and leaves", async () => {
      const carol = await server.signUpAndConnect("Carol");
      const joined = collect<{ user: { name: string } }>(alice, "room:member-joined");
      const left = collect<{ user: { name: string } }>(alice, "room:member-left");
      await ok(carol.socket, "room:join", { roomId: room.id });
      await until(() => joined.length === 1, 5_000, "member-joined");
      expect(joined[0]?.user.name).toBe("Carol");
      await ok(carol.socket, "room:leave", { roomId: room.id });
      await until(() => left.length === 1, 5_000, "member-left");
      // No longer a member: cannot read.
      expect(await call(carol.socket, "room:history", { roomId: room.id })).toMatchObject({
        ok: false,
        error: { code: "forbidden" },
      });
    });
  });

  describe("messages", () => {
    it("persists before acking, broadcasts to the room, and assigns seq 1, 2, ...", async () => {
      const received = collect<ChatMessage>(bob, "message:created");
      const first = await send(alice, "hello bob");
      const second = await send(alice, "second");
      expect(first.ok && second.ok).toBe(true);
      if (!first.ok || !second.ok) return;
      expect(second.data.message.seq).toBe(first.data.message.seq + 1);
      expect(first.data.message.author).toEqual({ id: aliceId, name: "Alice" });
      // Persisted: the database has it, with the same seq.
      const stored = await server.database.db.prisma.message.findUnique({ where: { id: first.data.message.id } });
      expect(stored?.seq).toBe(first.data.message.seq);
      await until(() => received.length === 2, 5_000, "broadcasts");
      expect(received.map((m) => m.body)).toEqual(["hello bob", "second"]);
    });

    it("is idempotent on clientId: a retry returns the stored message and does not broadcast again", async () => {
      const received = collect<ChatMessage>(bob, "message:created");
      const clientId = randomUUID();
      const first = await send(alice, "only once", clientId);
      const retry = await send(alice, "only once", clientId);
      expect(first.ok && retry.ok && retry.data.message.id === first.data.message.id).toBe(true);
      await new Promise((r) => setTimeout(r, 200));
      expect(received.filter((m) => m.clientId === clientId)).toHaveLength(1);
      const count = await server.database.db.prisma.message.count({ where: { clientId } });
      expect(count).toBe(1);
    });

    it("ignores an author id in the payload: the author is the authenticated user", async () => {
      const result = await call<{ message: ChatMessage }>(bob, "message:send", {
        roomId: room.id,
        clientId: randomUUID(),
        body: "who am i",
        authorId: aliceId,
        author: { id: aliceId, name: "Alice" },
      });
      expect(result.ok && result.data.message.author.name).toBe("Bob");
    });

    it("rejects bad payloads with stable codes and keeps serving", async () => {
      expect(await send(alice, "")).toMatchObject({ ok: false, error: { code: "invalid_payload" } });
      expect(await send(alice, "   \n ")).toMatchObject({ ok: false, error: { code: "invalid_payload" } });
      expect(await send(alice, "x".repeat(4001))).toMatchObject({ ok: false, error: { code: "too_large" } });
      expect(await send(alice, "x".repeat(4000))).toMatchObject({ ok: true });
      expect(await call(alice, "message:send", { roomId: room.id })).toMatchObject({ ok: false, error: { code: "invalid_payload" } });
      expect(await call(alice, "message:send", "not an object")).toMatchObject({ ok: false, error: { code: "invalid_payload" } });
      expect(await call(alice, "message:send", null)).toMatchObject({ ok: false, error: { code: "invalid_payload" } });
      expect(await call(alice, "room:history", { roomId: room.id, limit: 10_000 })).toMatchObject({
        ok: false,
        error: { code: "invalid_payload" },
      });
      // Events the server does not know are refused, not left unanswered.
      expect(await call(alice, "message:sned", { roomId: room.id })).toMatchObject({
        ok: false,
        error: { code: "invalid_payload", message: 'Unknown event "message:sned"' },
      });
      expect(await call(alice, "constructor", {})).toMatchObject({ ok: false, error: { code: "invalid_payload" } });
      // An event with no ack at all must not crash anything either.
      (alice.emit as (e: string, p: unknown) => void)("message:send", { garbage: true });
      (alice.emit as (e: string, p: unknown) => void)("no:such-event", { garbage: true });
      expect(await send(alice, "still alive")).toMatchObject({ ok: true });
    });

    it("refuses non-members with `forbidden`", async () => {
      const eve = await server.signUpAndConnect("Eve");
      expect(await send(eve.socket, "let me in")).toMatchObject({ ok: false, error: { code: "forbidden" } });
      expect(await call(eve.socket, "room:sync", { roomId: room.id, afterSeq: 0 })).toMatchObject({
        ok: false,
        error: { code: "forbidden" },
      });
    });

    it("assigns gap-free seqs to concurrent senders", async () => {
      const { room: busy } = await ok<{ room: RoomSummary }>(alice, "room:create", { name: `busy-${backend}` });
      await ok(bob, "room:join", { roomId: busy.id });
      const sends = Array.from({ length: 60 }, (_, i) => send(i % 2 ? alice : bob, `m${i}`, randomUUID(), busy.id));
      const results = await Promise.all(sends);
      const seqs = results.map((r) => (r.ok ? r.data.message.seq : -1)).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    });

    it("pages history backwards and syncs forwards in order", async () => {
      const { room: log } = await ok<{ room: RoomSummary }>(alice, "room:create", { name: `log-${backend}` });
      for (let i = 1; i <= 120; i++) await send(alice, `line ${i}`, randomUUID(), log.id);
      const latest = await ok<Page<ChatMessage>>(alice, "room:history", { roomId: log.id });
      expect(latest.messages.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 71 + i));
      expect(latest.hasMore).toBe(true);
      const older = await ok<Page<ChatMessage>>(alice, "room:history", { roomId: log.id, beforeSeq: 71, limit: 100 });
      expect(older.messages.map((m) => m.seq)).toEqual(Array.from({ length: 70 }, (_, i) => i + 1));
      expect(older.hasMore).toBe(false);
      const after = await ok<Page<ChatMessage>>(alice, "room:sync", { roomId: log.id, afterSeq: 100, limit: 15 });
      expect(after.messages.map((m) => m.seq)).toEqual(Array.from({ length: 15 }, (_, i) => 101 + i));
      expect(after.hasMore).toBe(true);
    });

    it("edits and deletes own messages, keeps the tombstone's seq, and syncs the changes", async () => {
      const sent = await send(alice, "typo");
      if (!sent.ok) throw new Error("send failed");
      const { message } = sent.data;
      expect(await call(bob, "message:edit", { messageId: message.id, body: "hijack" })).toMatchObject({
        ok: false,
        error: { code: "forbidden" },
      });
      const edited = await ok<{ message: ChatMessage }>(alice, "message:edit", { messageId: message.id, body: "fixed" });
      expect(edited.message.editedAt).not.toBeNull();
      expect(edited.message.change).toBeGreaterThan(message.change);
      await ok(alice, "message:delete", { messageId: message.id });
      const sync = await ok<Page<ChatMessage>>(bob, "room:sync", {
        roomId: room.id,
        afterSeq: message.seq,
        afterChange: message.change,
      });
      const tomb = sync.messages.find((m) => m.id === message.id);
      expect(tomb).toMatchObject({ seq: message.seq, body: "" });
      expect(tomb?.deletedAt).not.toBeNull();
      expect(await call(alice, "message:edit", { messageId: message.id, body: "again" })).toMatchObject({
        ok: false,
        error: { code: "not_found" },
      });
    });

    it("keeps read markers monotonic", async () => {
      const { socket: dave } = await server.signUpAndConnect("Dave");
      await ok(dave, "room:join", { roomId: room.id });
      const { lastReadSeq } = await ok<{ lastReadSeq: number }>(dave, "room:read", { roomId: room.id, seq: 3 });
      expect(lastReadSeq).toBe(3);
      const back = await ok<{ lastReadSeq: number }>(dave, "room:read", { roomId: room.id, seq: 1 });
      expect(back.lastReadSeq).toBe(3);
      const beyond = await ok<{ lastReadSeq: number }>(dave, "room:read", { roomId: room.id, seq: 1_000_000 });
      const { rooms } = await ok<{ rooms: RoomSummary[] }>(dave, "room:list", {});
      expect(beyond.lastReadSeq).toBe(rooms.find((r) => r.id === room.id)?.lastSeq);
    });
  });
});
