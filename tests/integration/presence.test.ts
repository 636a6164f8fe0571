// Presence and typing over real sockets, one in-process server (embedded mode:
// PGlite and the in-memory presence store), with the production timings.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromPresenceBatch, type PresenceChanged, type PresenceUpdate, type RoomMember, type RoomSummary, type TypingChanged } from "../../lib/contract";
import { DEFAULT_PRESENCE_TIMINGS } from "../../server/domain/presence.service";
import { collect, ok, startTestServer, until, type ClientSocket, type TestServer, collectPresence } from "../support/test-server";

const { offlineGraceMs, sweepMs } = DEFAULT_PRESENCE_TIMINGS;
/** How long an offline can take after the last tab closed, plus slack. */
const OFFLINE_WITHIN = offlineGraceMs + sweepMs + 2_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("presence and typing (in-process, embedded mode)", () => {
  let server: TestServer;
  let room: RoomSummary;
  let owner: { id: string; name: string };
  let ownerSocket: ClientSocket;

  beforeAll(async () => {
    server = await startTestServer("pglite");
    const o = await server.signUpAndConnect("Olga");
    owner = o.user;
    ownerSocket = o.socket;
    room = (await ok<{ room: RoomSummary }>(ownerSocket, "room:create", { name: `presence-${randomUUID().slice(0, 8)}` })).room;
  });
  afterAll(() => server?.close());

  /** A user who is a member of `room` but not connected yet. */
  async function member(name: string): Promise<{ id: string; name: string }> {
    const user = await server.createUser(name);
    await server.database.db.prisma.membership.create({ data: { roomId: room.id, userId: user.id } });
    return user;
  }

  async function statusOf(userId: string, asker = ownerSocket): Promise<RoomMember["status"] | undefined> {
    const { members } = await ok<{ members: RoomMember[] }>(asker, "room:members", { roomId: room.id });
    return members.find((m) => m.id === userId)?.status;
  }

  const eventsAbout = (events: PresenceUpdate[], userId: string) =>
    events.filter((e) => e.userId === userId).map((e) => e.status);

  it("a room-mate sees a user come online, and go offline (with last seen) after the grace period", async () => {
    const ann = await member("Ann");
    const seen = collectPresence(ownerSocket);
    const annSocket = await server.connectAs(ann);
    await until(() => eventsAbout(seen, ann.id).includes("online"), 5_000, "online");
    expect(seen.find((e) => e.userId === ann.id)).toEqual({ userId: ann.id, name: "Ann", status: "online", lastSeenAt: null });
    expect(await statusOf(ann.id)).toBe("online");

    const closedAt = Date.now();
    annSocket.disconnect();
    await until(() => eventsAbout(seen, ann.id).includes("offline"), OFFLINE_WITHIN, "offline");
    const tookMs = Date.now() - closedAt;
    console.log(`offline seen by a room-mate ${tookMs} ms after the last tab closed (grace ${offlineGraceMs} ms)`);
    expect(tookMs).toBeGreaterThanOrEqual(offlineGraceMs - 100);
    const offline = seen.find((e) => e.userId === ann.id && e.status === "offline");
    expect(Math.abs(Date.parse(offline?.lastSeenAt ?? "") - closedAt)).toBeLessThan(1_000);
    // Persisted, so it survives a restart; and served by room:members.
    const row = await server.database.db.prisma.user.findUniqueOrThrow({ where: { id: ann.id } });
    expect(row.lastSeenAt?.toISOString()).toBe(offline?.lastSeenAt);
    const { members } = await ok<{ members: RoomMember[] }>(ownerSocket, "room:members", { roomId: room.id });
    expect(members.find((m) => m.id === ann.id)).toEqual({
      id: ann.id,
      name: "Ann",
      role: "MEMBER",
      status: "offline",
      lastSeenAt: offline?.lastSeenAt,
      mutedUntil: null,
    });
  });

  it("two tabs, one closed: stays online; a reload sends nothing; the last one closed: offline", async () => {
    const bea = await member("Bea");
    const seen = collectPresence(ownerSocket);
    const tab1 = await server.connectAs(bea);
    const tab2 = await server.connectAs(bea);
    await until(() => eventsAbout(seen, bea.id).length > 0, 5_000, "online");
    tab1.disconnect();
    // A reload of tab 2 (close + reconnect within the grace period).
    tab2.disconnect();
    await sleep(300);
    const tab2again = await server.connectAs(bea);
    await sleep(OFFLINE_WITHIN);
    expect(eventsAbout(seen, bea.id)).toEqual(["online"]);
    expect(await statusOf(bea.id)).toBe("online");
    tab2again.disconnect();
    await until(() => eventsAbout(seen, bea.id).includes("offline"), OFFLINE_WITHIN, "offline");
    expect(eventsAbout(seen, bea.id)).toEqual(["online", "offline"]);
  });

  it("away only while every tab is away; nothing reaches users who share no room", async () => {
    const cid = await member("Cid");
    const stranger = await server.signUpAndConnect("Stranger"); // in no room with Cid
    const strangerSaw = collect<PresenceChanged>(stranger.socket, "presence:changed");
    const seen = collectPresence(ownerSocket);
    const tab1 = await server.connectAs(cid);
    const tab2 = await server.connectAs(cid);
    await until(() => eventsAbout(seen, cid.id).length === 1, 5_000, "online");
    expect(await ok(tab1, "presence:set", { status: "away" })).toEqual({ status: "online" });
    expect(await ok(tab2, "presence:set", { status: "away" })).toEqual({ status: "away" });
    await until(() => eventsAbout(seen, cid.id).length === 2, 5_000, "away");
    expect(await statusOf(cid.id)).toBe("away");
    expect(await ok(tab1, "presence:set", { status: "online" })).toEqual({ status: "online" });
    await until(() => eventsAbout(seen, cid.id).length === 3, 5_000, "online again");
    expect(eventsAbout(seen, cid.id)).toEqual(["online", "away", "online"]);
    // The stranger may ask about nobody, and hears nothing.
    expect(strangerSaw.filter((e) => e.userId === cid.id)).toEqual([]);
    await expect(ok(stranger.socket, "room:members", { roomId: room.id })).rejects.toThrow(/forbidden/);
    tab1.disconnect();
    tab2.disconnect();
  });

  describe("typing", () => {
    let typist: { id: string; name: string };
    let tab1: ClientSocket;
    let tab2: ClientSocket;
    let reader: ClientSocket;
    let outsider: ClientSocket;

    beforeAll(async () => {
      typist = await member("Tia");
      tab1 = await server.connectAs(typist);
      tab2 = await server.connectAs(typist);
      reader = ownerSocket;
      outsider = (await server.signUpAndConnect("Outsider")).socket;
    });

    it("is shown to the other members only, never echoed to the typist's own tabs, and ends on stop", async () => {
      const readerSaw = collect<TypingChanged>(reader, "typing:changed");
      const ownTabs = [collect<TypingChanged>(tab1, "typing:changed"), collect<TypingChanged>(tab2, "typing:changed")];
      const outsiderSaw = collect<TypingChanged>(outsider, "typing:changed");
      tab1.emit("typing:start", { roomId: room.id });
      await until(() => readerSaw.length === 1, 5_000, "typing shown");
      expect(readerSaw[0]).toEqual({ roomId: room.id, userId: typist.id, name: "Tia", typing: true });
      tab1.emit("typing:stop", { roomId: room.id });
      await until(() => readerSaw.length === 2, 5_000, "typing ended");
      expect(readerSaw[1]?.typing).toBe(false);
      await sleep(200);
      expect(ownTabs.flat()).toEqual([]);
      expect(outsiderSaw).toEqual([]);
    });

    it("expires about 5 s after the last refresh when no stop comes", async () => {
      const readerSaw = collect<TypingChanged>(reader, "typing:changed");
      tab1.emit("typing:start", { roomId: room.id });
      await until(() => readerSaw.length === 1, 5_000, "typing shown");
      await sleep(2_500);
      tab1.emit("typing:start", { roomId: room.id }); // a refresh, as the client sends while typing
      const refreshedAt = Date.now();
      await until(() => readerSaw.some((e) => !e.typing), 10_000, "typing expired");
      const tookMs = Date.now() - refreshedAt;
      console.log(`typing expired ${tookMs} ms after the last refresh`);
      expect(tookMs).toBeGreaterThanOrEqual(4_800);
      expect(tookMs).toBeLessThan(6_500);
      expect(readerSaw.map((e) => e.typing)).toEqual([true, true, false]);
    });

    it("ends when the typing tab closes", async () => {
      const readerSaw = collect<TypingChanged>(reader, "typing:changed");
      const tab3 = await server.connectAs(typist);
      tab3.emit("typing:start", { roomId: room.id });
      await until(() => readerSaw.length === 1, 5_000, "typing shown");
      tab3.disconnect();
      await until(() => readerSaw.length === 2, 2_000, "typing ended on disconnect");
      expect(readerSaw[1]?.typing).toBe(false);
    });

    it("ignores non-members, unknown rooms, bad payloads and floods", async () => {
      const readerSaw = collect<TypingChanged>(reader, "typing:changed");
      outsider.emit("typing:start", { roomId: room.id });
      outsider.emit("typing:start", { roomId: "no-such-room" });
      (tab1.emit as (e: string, p: unknown) => void)("typing:start", { nope: true });
      await sleep(300);
      expect(readerSaw).toEqual([]);
      const before = server.realtime.counters.typingBroadcasts;
      for (let i = 0; i < 200; i++) {
        tab2.emit("typing:start", { roomId: room.id });
        tab2.emit("typing:stop", { roomId: room.id });
      }
      await sleep(500);
      const sent = server.realtime.counters.typingBroadcasts - before;
      console.log(`400 typing events flooded from one socket -> ${sent} broadcasts`);
      // 10 starts pass the bucket (burst), each with its stop: at most ~22 broadcasts.
      expect(sent).toBeLessThanOrEqual(24);
      expect(readerSaw.length).toBe(sent);
    });
  });

  it("fan-out: 200 users joining one room cost O(N) presence events, not O(N^2)", async () => {
    const N = 200;
    const stamp = randomUUID().slice(0, 8);
    await server.database.db.prisma.user.createMany({
      data: Array.from({ length: N }, (_, i) => ({ email: `fan-${stamp}-${i}@t.test`, name: `Fan ${i}`, passwordHash: "x" })),
    });
    const users = await server.database.db.prisma.user.findMany({ where: { email: { startsWith: `fan-${stamp}-` } } });
    const { room: big } = await ok<{ room: RoomSummary }>(ownerSocket, "room:create", { name: `big-${stamp}` });

    const counters = server.realtime.counters;
    const before = { ...counters };
    let presenceDeliveries = 0;
    let joinedDeliveries = 0;
    let memberEntries = 0;
    let maxEntries = 0;
    const sockets: ClientSocket[] = [];
    const started = Date.now();
    // Like the UI: connect, join the room, load its member list once.
    for (let i = 0; i < N; i += 20) {
      await Promise.all(
        users.slice(i, i + 20).map(async (u) => {
          const socket = await server.connectAs(u);
          socket.on("presence:changed", () => presenceDeliveries++);
          socket.on("presence:batch", (batch) => (presenceDeliveries += fromPresenceBatch(batch).length));
          socket.on("room:member-joined", () => joinedDeliveries++);
          sockets.push(socket);
          await ok(socket, "room:join", { roomId: big.id });
          const { members } = await ok<{ members: RoomMember[] }>(socket, "room:members", { roomId: big.id });
          memberEntries += members.length;
          maxEntries = Math.max(maxEntries, members.length);
        }),
      );
    }
    await sleep(500); // let the last broadcasts land
    const joinPhase = {
      presenceBroadcasts: counters.presenceBroadcasts - before.presenceBroadcasts,
      presenceDeliveries,
    };

    // Then one member's status changes: one broadcast, one event per socket in the room.
    const mid = { ...counters };
    presenceDeliveries = 0;
    await ok(sockets[0]!, "presence:set", { status: "away" });
    await until(() => presenceDeliveries >= N, 5_000, "away delivered");
    await sleep(300);
    const oneChange = {
      presenceBroadcasts: counters.presenceBroadcasts - mid.presenceBroadcasts,
      presenceDeliveries,
    };

    const table = [
      { what: `${N} users connect + room:join + room:members`, ...joinPhase, "room:members calls": N, "entries returned (max per call)": `${memberEntries} (${maxEntries})`, "room:member-joined deliveries": joinedDeliveries },
      { what: "then one member goes away", ...oneChange },
      { what: "naive: each joiner sent one event per member", presenceDeliveries: (N * (N + 1)) / 2 },
    ];
    console.log(`presence fan-out, ${N} users joining one room (${Date.now() - started} ms):`);
    console.table(table);

    // O(N): no presence event per (joiner, member) pair.
    expect(joinPhase.presenceBroadcasts).toBeLessThanOrEqual(2 * N);
    expect(joinPhase.presenceDeliveries).toBeLessThanOrEqual(2 * N);
    // Every joiner got the whole list in one call.
    expect(maxEntries).toBe(N + 1);
    // One change = one broadcast, delivered once to each socket in the room (the N fans; the owner is in it too).
    expect(oneChange.presenceBroadcasts).toBe(1);
    expect(oneChange.presenceDeliveries).toBe(N);
    for (const s of sockets) s.disconnect();
  }, 120_000);
});
