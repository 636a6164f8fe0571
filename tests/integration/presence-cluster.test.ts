// Presence and typing across real server processes sharing PostgreSQL and
// Redis, with the production timings. One node is SIGKILLed (no cleanup at
// all): its users must show offline on the others within 30 s.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PresenceUpdate, RoomMember, TypingChanged } from "../../lib/contract";
import { DEFAULT_PRESENCE_TIMINGS } from "../../server/domain/presence.service";
import { socketFor } from "../support/clients";
import { createTestDatabase, postgresUrl, type TestDatabase } from "../support/databases";
import { startNode, type NodeProcess } from "../support/node-process";
import { deleteKeysUnder, redisUrl } from "../support/redis";
import { collect, ok, until, waitForConnect, type ClientSocket, collectPresence } from "../support/test-server";
import { createRoom, createUser } from "../support/fixtures";

const enabled = Boolean(postgresUrl && redisUrl);
if (!enabled) console.warn("presence cluster tests skipped: set TEST_DATABASE_URL and TEST_REDIS_URL (CI sets both)");

const { offlineGraceMs, sweepMs } = DEFAULT_PRESENCE_TIMINGS;
const OFFLINE_WITHIN = offlineGraceMs + sweepMs + 3_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.runIf(enabled)("presence and typing across server processes (PostgreSQL + Redis)", () => {
  const prefix = `parley-test-${randomUUID().slice(0, 8)}`;
  let database: TestDatabase;
  let a: NodeProcess;
  let b: NodeProcess;
  const extraNodes: NodeProcess[] = [];
  const sockets: ClientSocket[] = [];
  let roomId: string;
  const users: Record<"ann" | "ben" | "cat" | "dan", { id: string; name: string }> = {} as never;

  /** Lowered from 5,000 so a room of 13 is "big" (and the setting is read from the environment). */
  const ROOM_WIDE_MAX = 10;
  const start = (name: string) =>
    startNode({
      databaseUrl: database.url!,
      redisUrl,
      nodeId: `${name}-${prefix}`,
      env: { REDIS_PREFIX: prefix, PRESENCE_ROOM_WIDE_MAX_MEMBERS: String(ROOM_WIDE_MAX) },
    });

  const connect = async (node: NodeProcess, user: { id: string; name: string }) => {
    const socket = socketFor(node.url, user);
    sockets.push(socket);
    await waitForConnect(socket);
    return socket;
  };

  const membersFrom = async (socket: ClientSocket) =>
    (await ok<{ members: RoomMember[] }>(socket, "room:members", { roomId })).members;

  const eventsAbout = (events: PresenceUpdate[], userId: string) =>
    events.filter((e) => e.userId === userId).map((e) => e.status);

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    [a, b] = await Promise.all([start("a"), start("b")]);
    for (const name of ["Ann", "Ben", "Cat", "Dan"]) {
      const row = await createUser(database.db.prisma, name);
      users[name.toLowerCase() as keyof typeof users] = { id: row.id, name: row.name };
    }
    const room = await createRoom(database.db.prisma, users.ann, Object.values(users));
    roomId = room.id;
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await Promise.all([a, b, ...extraNodes].filter(Boolean).map((n) => n.stop("SIGTERM")));
    await database?.dispose();
    // Remove every key this run created.
    if (redisUrl) {
      const client = new Redis(redisUrl);
      await deleteKeysUnder(client, prefix);
      client.disconnect();
    }
  });

  it("a user on node A is seen online by a user on node B; two tabs on two nodes, one closed, stays online", async () => {
    const ben = await connect(b, users.ben);
    const seen = collectPresence(ben);
    const annOnA = await connect(a, users.ann);
    await until(() => eventsAbout(seen, users.ann.id).includes("online"), 5_000, "Ann online seen on B");
    expect((await membersFrom(ben)).find((m) => m.id === users.ann.id)?.status).toBe("online");

    const annOnB = await connect(b, users.ann);
    annOnA.disconnect();
    await sleep(OFFLINE_WITHIN);
    expect(eventsAbout(seen, users.ann.id)).toEqual(["online"]);
    expect((await membersFrom(ben)).find((m) => m.id === users.ann.id)?.status).toBe("online");

    const closedAt = Date.now();
    annOnB.disconnect();
    await until(() => eventsAbout(seen, users.ann.id).includes("offline"), OFFLINE_WITHIN, "Ann offline");
    console.log(`cross-node offline seen ${Date.now() - closedAt} ms after the last tab closed`);
    const offline = seen.find((e) => e.userId === users.ann.id && e.status === "offline");
    expect(Math.abs(Date.parse(offline?.lastSeenAt ?? "") - closedAt)).toBeLessThan(1_500);
    expect(eventsAbout(seen, users.ann.id)).toEqual(["online", "offline"]);
    ben.disconnect();
  });

  it("typing on node A is shown on node B (not to the typist's tab on B) and expires", async () => {
    const ben = await connect(b, users.ben);
    const danOnA = await connect(a, users.dan);
    const danOnB = await connect(b, users.dan);
    const benSaw = collect<TypingChanged>(ben, "typing:changed");
    const ownSaw = collect<TypingChanged>(danOnB, "typing:changed");
    danOnA.emit("typing:start", { roomId });
    await until(() => benSaw.length === 1, 5_000, "typing shown on B");
    const shownAt = Date.now();
    expect(benSaw[0]).toEqual({ roomId, userId: users.dan.id, name: "Dan", typing: true });
    await until(() => benSaw.length === 2, 10_000, "typing expired");
    const tookMs = Date.now() - shownAt;
    console.log(`cross-node typing expired ${tookMs} ms after it was shown`);
    expect(benSaw[1]?.typing).toBe(false);
    expect(tookMs).toBeGreaterThanOrEqual(4_500);
    expect(tookMs).toBeLessThan(7_000);
    expect(ownSaw).toEqual([]);
    for (const s of [ben, danOnA, danOnB]) s.disconnect();
  });

  it("in a room too big for room-wide presence, a watcher on node B hears a member arrive on node A; the rest of the room does not", async () => {
    // New users only (no small room shared), ROOM_WIDE_MAX + 3 members.
    const [eve, fay, gus] = await Promise.all(["Eve", "Fay", "Gus"].map((name) => createUser(database.db.prisma, name)));
    const crowd = Array.from({ length: ROOM_WIDE_MAX }, (_, i) => ({ id: `crowd-${prefix}-${i}`, name: `crowd${i}` }));
    await database.db.prisma.user.createMany({ data: crowd.map((u) => ({ ...u, email: `${u.id}@t.test`, passwordHash: "x" })) });
    const big = await createRoom(database.db.prisma, eve!, [eve!, fay!, gus!, ...crowd]);

    const eveOnB = await connect(b, eve!);
    const fayOnB = await connect(b, fay!);
    const eveHears = collectPresence(eveOnB);
    const fayHears = collectPresence(fayOnB);
    expect(await ok(eveOnB, "presence:watch", { roomId: big.id, userIds: [gus!.id] })).toEqual({
      statuses: [{ userId: gus!.id, status: "offline" }],
    });

    const gusOnA = await connect(a, gus!);
    await until(() => eventsAbout(eveHears, gus!.id).includes("online"), 5_000, "Eve (watching, node B) hears Gus (node A)");
    // Fay is in the room, on Eve's node, and watches nobody: the broadcast that
    // reached Eve would have reached her at the same time (plus a round trip).
    await ok(fayOnB, "presence:set", { status: "online" });
    expect(eventsAbout(fayHears, gus!.id)).toEqual([]);
    for (const s of [eveOnB, fayOnB, gusOnA]) s.disconnect();
  });

  it("in a big room, a member who joins through node A can be watched from node B at once", async () => {
    const [ida, hal] = await Promise.all(["Ida", "Hal"].map((name) => createUser(database.db.prisma, name)));
    const crowd = Array.from({ length: ROOM_WIDE_MAX + 2 }, (_, i) => ({ id: `crowd2-${prefix}-${i}`, name: `crowd2-${i}` }));
    await database.db.prisma.user.createMany({ data: crowd.map((u) => ({ ...u, email: `${u.id}@t.test`, passwordHash: "x" })) });
    const big = await createRoom(database.db.prisma, ida!, [ida!, ...crowd]);

    const idaOnB = await connect(b, ida!);
    const watched = async (user: { id: string }) =>
      (await ok<{ statuses: { status: string }[] }>(idaOnB, "presence:watch", { roomId: big.id, userIds: [user.id] })).statuses;
    const online = async () => (await ok<{ online: number }>(idaOnB, "room:online", { roomId: big.id })).online;
    /** Asked every 300 ms (under the watch limit), for less than the caches' 10 s. */
    const soon = (check: () => Promise<boolean>, what: string) =>
      until(async () => (await check()) || (await sleep(300), false), 5_000, what);
    await soon(async () => (await watched(ida!))[0]?.status === "online", "Ida's own presence recorded");
    // Node B now has the room's members cached.
    expect(await watched(hal!)).toEqual([]);
    expect(await online()).toBe(1);

    const halOnA = await connect(a, hal!);
    await ok(halOnA, "room:join", { roomId: big.id });
    await soon(async () => (await watched(hal!))[0]?.status === "online", "Hal watchable from node B");
    for (const s of [idaOnB, halOnA]) s.disconnect();
  });

  it("a SIGKILLed node's users show offline on the other nodes within 30 s, unless connected elsewhere", async () => {
    const c = await start("c");
    extraNodes.push(c);
    const ben = await connect(b, users.ben);
    const seen = collectPresence(ben);
    await connect(c, users.cat); // Cat: only on the node that dies
    await connect(c, users.dan); // Dan: on the node that dies and on A
    await connect(a, users.dan);
    await until(() => eventsAbout(seen, users.cat.id).includes("online"), 5_000, "Cat online");
    // Dan may have come online in an earlier test; only what happens after the kill matters.
    await sleep(1_000);
    const danBefore = eventsAbout(seen, users.dan.id).length;

    const killedAt = Date.now();
    await c.stop("SIGKILL");
    await until(() => eventsAbout(seen, users.cat.id).includes("offline"), 30_000, "Cat offline after SIGKILL");
    const tookMs = Date.now() - killedAt;
    console.log(`SIGKILLed node: its user shown offline on another node after ${tookMs} ms`);
    expect(tookMs).toBeLessThan(30_000);

    const cat = seen.find((e) => e.userId === users.cat.id && e.status === "offline");
    // Last seen: the dead node's last heartbeat, at most a heartbeat before the kill.
    const lastSeen = Date.parse(cat?.lastSeenAt ?? "");
    expect(lastSeen).toBeLessThanOrEqual(killedAt + 500);
    expect(lastSeen).toBeGreaterThan(killedAt - DEFAULT_PRESENCE_TIMINGS.heartbeatMs - 1_500);
    const row = await database.db.prisma.user.findUniqueOrThrow({ where: { id: users.cat.id } });
    expect(row.lastSeenAt?.toISOString()).toBe(cat?.lastSeenAt);

    // Dan is still connected to A: nothing was announced about him.
    await sleep(OFFLINE_WITHIN);
    expect(eventsAbout(seen, users.dan.id).length).toBe(danBefore);
    const members = await membersFrom(ben);
    expect(members.find((m) => m.id === users.dan.id)?.status).toBe("online");
    expect(members.find((m) => m.id === users.cat.id)).toMatchObject({ status: "offline", lastSeenAt: cat?.lastSeenAt });
  });
});
