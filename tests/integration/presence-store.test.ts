// One contract, two presence stores: the in-memory one always, the Redis one
// against a real Redis when TEST_REDIS_URL (or REDIS_URL) is set. Each Redis
// run uses its own key prefix and deletes its keys afterwards.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import type { PresenceConnection, PresenceStore } from "../../server/domain/ports";
import { createMemoryPresenceStore } from "../../server/store/memory/presence.store";
import { createRedisPresenceStore } from "../../server/store/redis/presence.store";
import { deleteKeysUnder, redisUrl } from "../support/redis";

if (!redisUrl) console.warn("Redis presence store tests skipped: set TEST_REDIS_URL (CI sets it); the memory store is tested");

const clients: Redis[] = [];
const prefixes: string[] = [];

afterAll(async () => {
  for (const [i, client] of clients.entries()) {
    await deleteKeysUnder(client, prefixes[i]!);
    client.disconnect();
  }
});

const makers: [string, () => Promise<PresenceStore>][] = [["memory", async () => createMemoryPresenceStore()]];
if (redisUrl) {
  const url = redisUrl;
  makers.push([
    "redis",
    async () => {
      const client = new Redis(url, { lazyConnect: true, enableOfflineQueue: false });
      await client.connect();
      const prefix = `parley-test-${randomUUID().slice(0, 8)}`;
      clients.push(client);
      prefixes.push(prefix);
      return createRedisPresenceStore(client, { prefix });
    },
  ]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const conn = (userId: string, connId: string, status: "online" | "away" = "online"): PresenceConnection => ({
  connId,
  userId,
  name: `name-${userId}`,
  status,
});

describe.each(makers)("presence store contract (%s)", (_kind, make) => {
  it("records connections per user across nodes, with a version that changes on every change", async () => {
    const store = await make();
    const s1 = await store.putConnection("A", conn("u1", "c1"));
    expect(s1).toMatchObject({ userId: "u1", name: "name-u1", connections: ["online"], announced: "online", claimed: "online" });
    const s2 = await store.putConnection("B", conn("u1", "c2", "away"));
    expect([...s2.connections].sort()).toEqual(["away", "online"]);
    expect(s2.version).toBeGreaterThan(s1.version);
    // Same status again: no change, same version.
    expect((await store.putConnection("B", conn("u1", "c2", "away"))).version).toBe(s2.version);
    const s3 = await store.removeConnection("A", "c1", "u1");
    expect(s3.connections).toEqual(["away"]);
    expect(s3.version).toBeGreaterThan(s2.version);
    expect(await store.snapshots(["u1", "nobody"])).toMatchObject([
      { userId: "u1", connections: ["away"] },
      { userId: "nobody", version: 0, connections: [], announced: null, name: null },
    ]);
  });

  it("putConnection claims each change of the overall status for exactly one caller", async () => {
    const store = await make();
    // Two nodes connect the same user at once: one of them announces it.
    const first = await Promise.all([store.putConnection("A", conn("u1", "c1")), store.putConnection("B", conn("u1", "c2"))]);
    expect(first.map((p) => p.claimed).filter(Boolean)).toEqual(["online"]);
    expect((await store.snapshot("u1")).announced).toBe("online");
    // Online while any connection is; away only once every one is.
    expect((await store.putConnection("A", conn("u1", "c1", "away"))).claimed).toBeNull();
    const away = await store.putConnection("B", conn("u1", "c2", "away"));
    expect(away).toMatchObject({ claimed: "away", announced: "away" });
    expect((await store.putConnection("B", conn("u1", "c2", "away"))).claimed).toBeNull(); // no change
    expect((await store.putConnection("C", conn("u1", "c3"))).claimed).toBe("online");
    // Re-registering connections (syncNode, after an outage) claims nothing: the service settles those.
    await store.syncNode("D", [conn("u2", "d1")]);
    expect(await store.snapshot("u2")).toMatchObject({ connections: ["online"], announced: null });
    // What others were told, alone: u1 announced, u2 connected but not announced yet, nobody never.
    expect(await store.announcedStatuses(["u1", "u2", "nobody"])).toEqual(["online", null, null]);
    expect(await store.announcedStatuses([])).toEqual([]);
  });

  it("announce is a compare-and-set on the version, and offline forgets the user", async () => {
    const store = await make();
    const s = await store.putConnection("A", conn("u1", "c1"));
    expect(await store.announce("u1", s.version - 1, "online")).toBe(false);
    expect(await store.announce("u1", s.version, "offline")).toBe(false); // still connected
    expect(await store.announce("u1", s.version, "online")).toBe(true);
    expect((await store.snapshot("u1")).announced).toBe("online");
    const gone = await store.removeConnection("A", "c1", "u1");
    expect(await store.announce("u1", gone.version, "away")).toBe(false); // nobody left to be away
    expect(await store.announce("u1", gone.version, "offline")).toBe(true);
    expect(await store.snapshot("u1")).toMatchObject({ version: 0, connections: [], announced: null });
  });

  it("queues a user whose last connection went, hands each to one claimer only after the grace period", async () => {
    const store = await make();
    await store.putConnection("A", conn("u1", "c1"));
    await store.putConnection("A", conn("u1", "c2"));
    await store.removeConnection("A", "c1", "u1");
    expect(await store.claimDue(0, 10)).toEqual([]); // one connection left
    const before = Date.now();
    await store.removeConnection("A", "c2", "u1");
    expect(await store.claimDue(60_000, 10)).toEqual([]); // grace not over
    await sleep(20);
    const claims = await Promise.all([store.claimDue(10, 10), store.claimDue(10, 10), store.claimDue(10, 10)]);
    const claimed = claims.flat();
    expect(claimed.map((c) => c.userId)).toEqual(["u1"]);
    expect(Math.abs(claimed[0]!.since.getTime() - before)).toBeLessThan(1_000);
    // A reconnect dequeues.
    await store.removeConnection("A", "c9", "u1");
    await store.putConnection("A", conn("u2", "d1"));
    await store.removeConnection("A", "d1", "u2");
    await store.putConnection("B", conn("u2", "d2"));
    await sleep(20);
    expect(await store.claimDue(10, 10)).toEqual([]);
  });

  it("reaps a node whose heartbeat stopped exactly once, keeping its users' other connections", async () => {
    const store = await make();
    expect(await store.heartbeat("dead")).toBe(false);
    expect(await store.heartbeat("dead")).toBe(true);
    await store.putConnection("dead", conn("u1", "c1"));
    await store.putConnection("dead", conn("u2", "c2"));
    await store.putConnection("alive", conn("u2", "c3"));
    await sleep(150);
    await store.heartbeat("alive");
    const results = await Promise.all([store.reapDeadNodes(100), store.reapDeadNodes(100), store.reapDeadNodes(100)]);
    const reaped = results.flat();
    expect(reaped.map((r) => [r.nodeId, r.connections])).toEqual([["dead", 2]]);
    expect((await store.snapshot("u1")).connections).toEqual([]);
    expect((await store.snapshot("u2")).connections).toEqual(["online"]);
    // u1 is queued with the dead node's last heartbeat as the time.
    const due = await store.claimDue(0, 10);
    expect(due.map((d) => d.userId)).toEqual(["u1"]);
    expect(due[0]!.since.getTime()).toBe(reaped[0]!.lastHeartbeatAt.getTime());
    // Once reaped the node is unknown: its next heartbeat says so.
    expect(await store.heartbeat("dead")).toBe(false);
  });

  it("syncNode makes the node's record exact, and leave forgets the node", async () => {
    const store = await make();
    await store.heartbeat("A");
    await store.putConnection("A", conn("u1", "stale"));
    await store.putConnection("A", conn("u2", "kept"));
    const changed = await store.syncNode("A", [conn("u2", "kept", "away"), conn("u3", "new")]);
    expect([...changed].sort()).toEqual(["u1", "u2", "u3"]);
    expect((await store.snapshot("u1")).connections).toEqual([]);
    expect((await store.snapshot("u2")).connections).toEqual(["away"]);
    expect(await store.syncNode("A", [conn("u2", "kept", "away"), conn("u3", "new")])).toEqual([]);
    await store.syncNode("A", [], { leave: true });
    expect((await store.snapshots(["u2", "u3"])).map((s) => s.connections)).toEqual([[], []]);
    expect(await store.heartbeat("A")).toBe(false);
  });
});
