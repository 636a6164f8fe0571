// Presence in big rooms is by subscription (`presence:watch`): over real
// sockets, one in-process server (embedded mode), with the room-wide limit
// lowered to 3 members so a room of 4 is "big". Every negative check ("hears
// nothing") waits first for another socket that must hear the same change.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ONLINE_COUNT_TTL_MS, PRESENCE_WATCH_MAX, type PresenceUpdate, type UserPresence } from "../../lib/contract";
import { createRoom } from "../support/fixtures";
import { call, collectPresence, ok, startTestServer, until, type ClientSocket, type TestServer } from "../support/test-server";

const ROOM_WIDE_MAX = 3;
const timings = { presence: { offlineGraceMs: 200, sweepMs: 100 } };

const eventsAbout = (events: PresenceUpdate[], userId: string) => events.filter((e) => e.userId === userId).map((e) => e.status);
const watch = (socket: ClientSocket, roomId: string, userIds: string[]) =>
  ok<{ statuses: UserPresence[] }>(socket, "presence:watch", { roomId, userIds });

describe("presence in big rooms: by watching (in-process, embedded mode)", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer("pglite", { presenceRoomWideMaxMembers: ROOM_WIDE_MAX, timings });
  });
  afterAll(() => server?.close());

  /** New users, and a room whose members they all are (filled before anyone connects: sizes are cached). */
  async function roomOf(...names: string[]) {
    const users = [];
    for (const name of names) users.push(await server.createUser(name));
    const room = await createRoom(server.database.db.prisma, users[0]!, users);
    return { roomId: room.id, users };
  }

  it("only the sockets watching a member hear their changes; the answer has the watched members' status now", async () => {
    const {
      roomId,
      users: [ann, ben, cat, dan],
    } = await roomOf("Ann", "Ben", "Cat", "Dan");
    const annSocket = await server.connectAs(ann!);
    const catSocket = await server.connectAs(cat!);
    const annHears = collectPresence(annSocket);
    const catHears = collectPresence(catSocket);

    const { statuses } = await watch(annSocket, roomId, [ben!.id, cat!.id, "not-a-member", cat!.id]);
    expect(statuses).toEqual([
      { userId: ben!.id, status: "offline" },
      { userId: cat!.id, status: "online" },
    ]);

    const benSocket = await server.connectAs(ben!);
    await until(() => eventsAbout(annHears, ben!.id).includes("online"), 5_000, "Ann hears Ben online");
    const closedAt = Date.now();
    benSocket.disconnect();
    await until(() => eventsAbout(annHears, ben!.id).includes("offline"), 5_000, "Ann hears Ben offline");
    const offline = annHears.find((e) => e.userId === ben!.id && e.status === "offline");
    expect(Math.abs(Date.parse(offline?.lastSeenAt ?? "") - closedAt)).toBeLessThan(1_000);
    // Cat is in the room too, but watches nobody.
    expect(eventsAbout(catHears, ben!.id)).toEqual([]);

    // Nobody watches Dan: not even his room-mates hear him arrive.
    await ok(catSocket, "presence:watch", { roomId, userIds: [dan!.id] });
    await server.connectAs(dan!);
    await until(() => eventsAbout(catHears, dan!.id).includes("online"), 5_000, "Cat (now watching) hears Dan");
    expect(eventsAbout(annHears, dan!.id)).toEqual([]);
    expect(server.realtime.counters.presenceWatchBroadcasts).toBeGreaterThanOrEqual(3);
  });

  it("a new watch replaces the old one, and an empty one stops watching", async () => {
    const {
      roomId,
      users: [ann, ben, cat, dan],
    } = await roomOf("Ann", "Ben", "Cat", "Dan");
    const annSocket = await server.connectAs(ann!);
    const danSocket = await server.connectAs(dan!); // Dan watches both all along: the control
    const annHears = collectPresence(annSocket);
    const danHears = collectPresence(danSocket);
    await watch(danSocket, roomId, [ben!.id, cat!.id]);

    await watch(annSocket, roomId, [ben!.id]);
    await watch(annSocket, roomId, [cat!.id]);
    const benSocket = await server.connectAs(ben!);
    await server.connectAs(cat!);
    await until(() => eventsAbout(danHears, ben!.id).includes("online") && eventsAbout(danHears, cat!.id).includes("online"), 5_000, "Dan hears both");
    await until(() => eventsAbout(annHears, cat!.id).includes("online"), 5_000, "Ann hears Cat");
    expect(eventsAbout(annHears, ben!.id)).toEqual([]);

    expect(await watch(annSocket, roomId, [])).toEqual({ statuses: [] });
    const before = annHears.length;
    benSocket.disconnect();
    await until(() => eventsAbout(danHears, ben!.id).includes("offline"), 5_000, "Dan hears Ben offline");
    expect(annHears.length).toBe(before);
  });

  it("a user who is also in a small room: that room hears them room-wide, the big room's watchers too", async () => {
    const {
      roomId,
      users: [ann, ben, cat, dan],
    } = await roomOf("Ann", "Ben", "Cat", "Dan");
    const eve = await server.createUser("Eve");
    await createRoom(server.database.db.prisma, eve, [eve, ben!]); // small: Eve and Ben
    const eveSocket = await server.connectAs(eve);
    const annSocket = await server.connectAs(ann!);
    const catSocket = await server.connectAs(cat!);
    const eveHears = collectPresence(eveSocket);
    const annHears = collectPresence(annSocket);
    const catHears = collectPresence(catSocket);
    await watch(annSocket, roomId, [ben!.id, dan!.id]);

    await server.connectAs(ben!);
    await until(() => eventsAbout(eveHears, ben!.id).includes("online"), 5_000, "Eve (small room, no watch) hears Ben");
    await until(() => eventsAbout(annHears, ben!.id).includes("online"), 5_000, "Ann (watching) hears Ben");
    await server.connectAs(dan!);
    await until(() => eventsAbout(annHears, dan!.id).includes("online"), 5_000, "Ann hears Dan");
    expect(eventsAbout(catHears, ben!.id)).toEqual([]);
  });

  it("leaving the room stops what the socket watched there", async () => {
    const {
      roomId,
      users: [ann, ben, cat, dan],
    } = await roomOf("Ann", "Ben", "Cat", "Dan");
    const annSocket = await server.connectAs(ann!);
    const danSocket = await server.connectAs(dan!);
    const annHears = collectPresence(annSocket);
    const danHears = collectPresence(danSocket);
    await watch(annSocket, roomId, [ben!.id, cat!.id]);
    await watch(danSocket, roomId, [ben!.id, cat!.id]);
    const benSocket = await server.connectAs(ben!);
    await until(() => eventsAbout(annHears, ben!.id).includes("online"), 5_000, "Ann hears Ben while a member");

    await ok(annSocket, "room:leave", { roomId });
    await ok(benSocket, "presence:set", { status: "away" });
    await server.connectAs(cat!);
    await until(
      () => eventsAbout(danHears, ben!.id).includes("away") && eventsAbout(danHears, cat!.id).includes("online"),
      5_000,
      "Dan hears Ben away and Cat online",
    );
    expect(eventsAbout(annHears, ben!.id)).toEqual(["online"]);
    expect(eventsAbout(annHears, cat!.id)).toEqual([]);
    // And she may not watch there again.
    expect(await call(annSocket, "presence:watch", { roomId, userIds: [ben!.id] })).toMatchObject({ ok: false, error: { code: "forbidden" } });
  });

  it("a member who just joined can be watched at once, and one who just left no longer can (the roster cache is not waited out)", async () => {
    const {
      roomId,
      users: [ann, ben],
    } = await roomOf("Ann", "Ben", "Cat", "Dan");
    const eve = await server.createUser("Eve");
    const annSocket = await server.connectAs(ann!);
    const annHears = collectPresence(annSocket);
    await watch(annSocket, roomId, [ben!.id]); // the node now has the room's members cached

    const eveSocket = await server.connectAs(eve!);
    await ok(eveSocket, "room:join", { roomId });
    // Her row appears (room:member-joined) and the panel watches her with the rest.
    expect((await watch(annSocket, roomId, [ben!.id, eve!.id])).statuses).toEqual([
      { userId: ben!.id, status: "offline" },
      { userId: eve!.id, status: "online" },
    ]);
    await ok(eveSocket, "presence:set", { status: "away" });
    await until(() => eventsAbout(annHears, eve!.id).includes("away"), 5_000, "Ann hears Eve away");

    const benSocket = await server.connectAs(ben!);
    await ok(benSocket, "room:leave", { roomId });
    expect((await watch(annSocket, roomId, [ben!.id, eve!.id])).statuses).toEqual([{ userId: eve!.id, status: "away" }]);
  });

  it("room:online counts the members online or away, at most every ONLINE_COUNT_TTL_MS", async () => {
    const {
      roomId,
      users: [ann, ben, cat, dan],
    } = await roomOf("Ann", "Ben", "Cat", "Dan");
    const eve = await server.createUser("Eve");
    const annSocket = await server.connectAs(ann!);
    const count = async () => (await ok<{ online: number }>(annSocket, "room:online", { roomId })).online;
    /** Waits until presence has recorded `user` as `status` (a watch answer is read afresh). */
    const recorded = (user: { id: string }, status: string) =>
      until(async () => (await watch(annSocket, roomId, [user.id])).statuses[0]?.status === status, 5_000, `${status} recorded`);
    await recorded(ann!, "online");
    const benSocket = await server.connectAs(ben!);
    await ok(benSocket, "presence:set", { status: "away" });
    await recorded(ben!, "away");
    expect(await count()).toBe(2); // Ann, and Ben who is away

    await server.connectAs(cat!);
    await recorded(cat!, "online");
    const countedAt = Date.now();
    expect(await count()).toBe(2); // counted less than ONLINE_COUNT_TTL_MS ago

    // A member joins, Dan arrives: both counted once the count is ONLINE_COUNT_TTL_MS old.
    await ok(await server.connectAs(eve), "room:join", { roomId });
    await server.connectAs(dan!);
    await recorded(dan!, "online");
    expect(await count()).toBe(2);
    // Asked four times a second (the per-socket command budget would refuse a tighter loop).
    await until(async () => (await count()) === 5 || (await new Promise((r) => setTimeout(r, 250)), false), ONLINE_COUNT_TTL_MS + 5_000, "Eve and Dan counted");
    expect(Date.now() - countedAt).toBeGreaterThanOrEqual(ONLINE_COUNT_TTL_MS - 100);

    const stranger = await server.signUpAndConnect("Stranger");
    expect(await call(stranger.socket, "room:online", { roomId })).toMatchObject({ ok: false, error: { code: "forbidden" } });
  });

  it("answers bad watches and floods with a stable code", async () => {
    const {
      roomId,
      users: [ann],
    } = await roomOf("Ann", "Ben");
    const outsider = await server.connectAs(await server.createUser("Out"));
    const annSocket = await server.connectAs(ann!);
    const ids = Array.from({ length: PRESENCE_WATCH_MAX + 1 }, (_, i) => `user-${i}`);
    expect(await call(annSocket, "presence:watch", { roomId, userIds: ids })).toMatchObject({ ok: false, error: { code: "invalid_payload" } });
    expect(await call(annSocket, "presence:watch", { roomId, userIds: "everyone" })).toMatchObject({ ok: false, error: { code: "invalid_payload" } });
    expect(await call(annSocket, "presence:watch", { roomId: "no-such-room", userIds: [ann!.id] })).toMatchObject({
      ok: false,
      error: { code: "not_found" },
    });
    expect(await call(outsider, "presence:watch", { roomId, userIds: [ann!.id] })).toMatchObject({ ok: false, error: { code: "forbidden" } });
    // The socket is fine afterwards.
    expect(await watch(annSocket, roomId, [ann!.id])).toEqual({ statuses: [{ userId: ann!.id, status: "online" }] });

    // A flood is refused (bursts of 10, then 4 a second), and the socket stays usable.
    const flood = await Promise.all(Array.from({ length: 30 }, () => call(annSocket, "presence:watch", { roomId, userIds: [ann!.id] })));
    const refused = flood.filter((r) => !r.ok);
    expect(refused.length).toBeGreaterThanOrEqual(15);
    expect(refused[0]).toMatchObject({ ok: false, error: { code: "rate_limited" } });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await watch(annSocket, roomId, [ann!.id])).toEqual({ statuses: [{ userId: ann!.id, status: "online" }] });
  });
});
