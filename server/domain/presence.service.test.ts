import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createMemoryPresenceStore } from "../store/memory/presence.store";
import type { MemberRecord, PresenceStore } from "./ports";
import { aggregateStatus, createPresenceService, DEFAULT_PRESENCE_TIMINGS, type PresenceChange } from "./presence.service";

const T = DEFAULT_PRESENCE_TIMINGS;
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const ann = { id: "u-ann", name: "Ann" };
const ben = { id: "u-ben", name: "Ben" };

/** `sizes`: member counts by room id (missing: 2); `sizes.down` makes the count lookup fail. */
function harness(store: PresenceStore = createMemoryPresenceStore(), db = { down: false }, sizes: Record<string, number> & { down?: number } = {}) {
  const published: PresenceChange[] = [];
  const announced: string[] = [];
  const lastSeen: { userId: string; at: Date }[] = [];
  const members: MemberRecord[] = [
    { id: ann.id, name: ann.name, role: "OWNER", lastSeenAt: null, mutedUntil: null },
    { id: ben.id, name: ben.name, role: "MEMBER", lastSeenAt: new Date("2026-01-01T00:00:00Z"), mutedUntil: null },
  ];
  const node = (nodeId: string) =>
    createPresenceService({
      store,
      nodeId,
      logger: quiet,
      rooms: {
        memberRoomIds: async () => {
          if (db.down) throw new Error("database unavailable");
          return ["r1", "r2"];
        },
        members: async () => ({ members, next: "cursor" }),
      },
      roomSizes: {
        of: async (roomIds) => {
          if (sizes.down) throw new Error("database unavailable");
          return new Map(roomIds.map((id) => [id, sizes[id] ?? 2]));
        },
      },
      roomWideMaxMembers: 10,
      users: {
        markLastSeen: async (userId, at) => {
          lastSeen.push({ userId, at });
        },
      },
      publish: (change) => published.push(change),
      onAnnounced: (status) => announced.push(status),
    });
  const statuses = () => published.map((p) => `${p.name}:${p.status}`);
  return { store, node, published, announced, lastSeen, statuses };
}

const conn = (user: { id: string; name: string }, connId: string, status: "online" | "away" = "online") => ({
  connId,
  userId: user.id,
  name: user.name,
  status,
});

describe("aggregateStatus", () => {
  it("is online if any connection is, away if all are, offline with none", () => {
    expect(aggregateStatus([])).toBe("offline");
    expect(aggregateStatus(["away", "away"])).toBe("away");
    expect(aggregateStatus(["away", "online"])).toBe("online");
  });
});

describe("presence service", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date("2026-03-01T12:00:00Z") });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("announces online once for two tabs, keeps the user online when one closes, offline after the grace period", async () => {
    const h = harness();
    const a = h.node("A");
    a.start();
    await a.connected(conn(ann, "tab1"));
    await a.connected(conn(ann, "tab2"));
    expect(h.statuses()).toEqual(["Ann:online"]);
    expect(h.published[0]).toMatchObject({ userId: ann.id, roomIds: ["r1", "r2"], toWatchers: false, lastSeenAt: null });

    await a.disconnected("tab1");
    await vi.advanceTimersByTimeAsync(T.offlineGraceMs * 3);
    expect(h.statuses()).toEqual(["Ann:online"]);

    const closedAt = Date.now();
    await a.disconnected("tab2");
    await vi.advanceTimersByTimeAsync(T.offlineGraceMs - 100);
    expect(h.statuses()).toEqual(["Ann:online"]);
    await vi.advanceTimersByTimeAsync(T.sweepMs + 100);
    expect(h.statuses()).toEqual(["Ann:online", "Ann:offline"]);
    expect(h.published[1]?.lastSeenAt).toBe(new Date(closedAt).toISOString());
    expect(h.lastSeen).toEqual([{ userId: ann.id, at: new Date(closedAt) }]);
    await a.stop();
  });

  it("tells rooms over the room-wide limit through watchers only, and every room when their sizes are unknown", async () => {
    const sizes: Record<string, number> & { down?: number } = { r2: 11 };
    const h = harness(createMemoryPresenceStore(), { down: false }, sizes);
    const a = h.node("A");
    await a.connected(conn(ann, "tab1"));
    expect(h.published[0]).toMatchObject({ userId: ann.id, status: "online", roomIds: ["r1"], toWatchers: true });

    sizes.r1 = 11;
    await a.setStatus("tab1", "away");
    expect(h.published[1]).toMatchObject({ status: "away", roomIds: [], toWatchers: true });

    sizes.r2 = 10; // at the limit: still room-wide
    sizes.r1 = 3;
    await a.setStatus("tab1", "online");
    expect(h.published[2]).toMatchObject({ status: "online", roomIds: ["r1", "r2"], toWatchers: false });

    sizes.down = 1;
    await a.setStatus("tab1", "away");
    expect(h.published[3]).toMatchObject({ status: "away", roomIds: ["r1", "r2"], toWatchers: false });
    await a.stop();
  });

  it("sends nothing when a tab reloads within the grace period", async () => {
    const h = harness();
    const a = h.node("A");
    a.start();
    await a.connected(conn(ann, "tab1"));
    await a.disconnected("tab1");
    await vi.advanceTimersByTimeAsync(1_000);
    await a.connected(conn(ann, "tab1-again"));
    await vi.advanceTimersByTimeAsync(T.offlineGraceMs * 5);
    expect(h.statuses()).toEqual(["Ann:online"]);
    expect(h.lastSeen).toEqual([]);
    await a.stop();
  });

  it("is away only while every connection is away", async () => {
    const h = harness();
    const a = h.node("A");
    a.start();
    await a.connected(conn(ann, "tab1"));
    await a.connected(conn(ann, "tab2"));
    expect(await a.setStatus("tab1", "away")).toBe("online");
    expect(h.statuses()).toEqual(["Ann:online"]);
    expect(await a.setStatus("tab2", "away")).toBe("away");
    expect(await a.setStatus("tab2", "away")).toBe("away"); // idempotent, nothing new
    expect(h.statuses()).toEqual(["Ann:online", "Ann:away"]);
    expect(await a.setStatus("tab1", "online")).toBe("online");
    // The active tab closes: the hidden one is left.
    await a.disconnected("tab1");
    expect(h.statuses()).toEqual(["Ann:online", "Ann:away", "Ann:online", "Ann:away"]);
    await a.stop();
  });

  it("a node that dies without cleanup has its users shown offline by another node within 30 s, unless connected elsewhere", async () => {
    const h = harness();
    // A is driven by hand: it lives while we tick it, and dies (SIGKILL: no cleanup) when we stop.
    const a = h.node("A");
    const b = h.node("B");
    b.start();
    await a.tick();
    await a.connected(conn(ann, "ann-on-a"));
    await a.connected(conn(ben, "ben-on-a"));
    await b.connected(conn(ben, "ben-on-b"));
    for (let i = 0; i < 6; i++) {
      await vi.advanceTimersByTimeAsync(T.heartbeatMs);
      await a.tick();
    }
    expect(h.statuses()).toEqual(["Ann:online", "Ben:online"]);

    const killedAt = Date.now();
    await until(() => h.statuses().includes("Ann:offline"), 30_000);
    const tookMs = Date.now() - killedAt;
    expect(tookMs).toBeGreaterThanOrEqual(T.nodeTtlMs);
    expect(tookMs).toBeLessThanOrEqual(T.nodeTtlMs + 2 * T.sweepMs);
    // Ben is still connected to B.
    expect(h.statuses()).toEqual(["Ann:online", "Ben:online", "Ann:offline"]);
    expect((await h.store.snapshot(ben.id)).connections).toEqual(["online"]);
    // Last seen is the dead node's last heartbeat, not when it was noticed.
    expect(h.published.find((p) => p.status === "offline")?.lastSeenAt).toBe(new Date(killedAt).toISOString());
    expect(h.lastSeen).toEqual([{ userId: ann.id, at: new Date(killedAt) }]);
    await b.stop();
  });

  it("a node that was reaped while stalled registers its connections again", async () => {
    const h = harness();
    const a = h.node("A");
    const b = h.node("B");
    b.start();
    await a.tick();
    await a.connected(conn(ann, "ann-on-a"));
    // A stalls (no ticks) long enough to be reaped by B.
    await until(() => h.statuses().includes("Ann:offline"), 30_000);
    await a.tick(); // A's heartbeat finds it was forgotten and re-syncs
    expect(h.statuses()).toEqual(["Ann:online", "Ann:offline", "Ann:online"]);
    expect((await h.store.snapshot(ann.id)).connections).toEqual(["online"]);
    await b.stop();
  });

  it("survives a store outage: nothing throws, and the next tick repairs what was missed", async () => {
    const inner = createMemoryPresenceStore();
    let down = false;
    const store = new Proxy(inner, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => (down ? Promise.reject(new Error("ECONNREFUSED")) : (value as (...a: unknown[]) => unknown)(...args));
      },
    });
    const h = harness(store);
    const a = h.node("A");
    a.start();
    down = true;
    await expect(a.connected(conn(ann, "tab1"))).resolves.toBeUndefined();
    await vi.advanceTimersByTimeAsync(T.sweepMs * 3);
    expect(h.statuses()).toEqual([]);
    down = false;
    await vi.advanceTimersByTimeAsync(T.sweepMs * 2);
    expect(h.statuses()).toEqual(["Ann:online"]);
    await a.stop();
  });

  it("with the database down, a change is recorded but not sent, and later changes are sent normally", async () => {
    const db = { down: true };
    const h = harness(createMemoryPresenceStore(), db);
    const a = h.node("A");
    a.start();
    await expect(a.connected(conn(ann, "tab1"))).resolves.toBeUndefined();
    expect(h.statuses()).toEqual([]);
    expect((await h.store.snapshot(ann.id)).announced).toBe("online");
    // Announced (and counted: parley_presence_changes_total) though nobody could be told.
    expect(h.announced).toEqual(["online"]);
    db.down = false;
    await a.disconnected("tab1");
    await vi.advanceTimersByTimeAsync(T.offlineGraceMs + T.sweepMs);
    expect(h.statuses()).toEqual(["Ann:offline"]);
    expect(h.announced).toEqual(["online", "offline"]);
    expect(h.lastSeen.map((l) => l.userId)).toEqual([ann.id]);
    await a.stop();
  });

  it("lists room members with their status, and last seen only for offline ones", async () => {
    const h = harness();
    const a = h.node("A");
    await a.connected(conn(ann, "tab1"));
    const page = await a.roomMembers({ id: ann.id, name: ann.name, role: "USER" }, "r1", { limit: 2 });
    expect(page).toEqual({
      members: [
        { id: ann.id, name: "Ann", role: "OWNER", status: "online", lastSeenAt: null, mutedUntil: null },
        { id: ben.id, name: "Ben", role: "MEMBER", status: "offline", lastSeenAt: "2026-01-01T00:00:00.000Z", mutedUntil: null },
      ],
      next: "cursor", // the rooms service's, passed through
    });
  });

  it("alone (embedded), a graceful stop announces and records its users offline at once", async () => {
    const h = harness();
    const a = h.node("A");
    a.start();
    await a.connected(conn(ann, "tab1"));
    await a.disconnected("tab1");
    await a.stop();
    expect(h.statuses()).toEqual(["Ann:online", "Ann:offline"]);
    expect(h.lastSeen.map((l) => l.userId)).toEqual([ann.id]);
  });

  it("announces each change once when two nodes settle the same user", async () => {
    const h = harness();
    const a = h.node("A");
    const b = h.node("B");
    a.start();
    b.start();
    await Promise.all([a.connected(conn(ann, "x")), b.connected(conn(ann, "y")), a.connected(conn(ann, "z"))]);
    await Promise.all([a.disconnected("x"), b.disconnected("y"), a.disconnected("z")]);
    await vi.advanceTimersByTimeAsync(T.offlineGraceMs + T.sweepMs * 2);
    expect(h.statuses()).toEqual(["Ann:online", "Ann:offline"]);
    // Counted once too, though both nodes run the hook.
    expect(h.announced).toEqual(["online", "offline"]);
    await a.stop();
    await b.stop();
  });
});

async function until(predicate: () => boolean, maxMs: number): Promise<void> {
  const step = 250;
  for (let waited = 0; waited <= maxMs; waited += step) {
    if (predicate()) return;
    await vi.advanceTimersByTimeAsync(step);
  }
  throw new Error("condition not met in time");
}
