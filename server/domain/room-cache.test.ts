import { describe, expect, it } from "vitest";
import { createRoomCache } from "./room-cache";

function counter(counts: Record<string, number>) {
  const queries: string[][] = [];
  let fail = false;
  const load = async (roomIds: string[]) => {
    queries.push(roomIds);
    if (fail) throw new Error("database unavailable");
    return new Map(roomIds.filter((id) => id in counts).map((id) => [id, counts[id]!]));
  };
  return { load, queries, fail: (on: boolean) => (fail = on) };
}

describe("room cache", () => {
  it("loads each room once for concurrent and repeated asks within the TTL, and again after it", async () => {
    let now = 0;
    const db = counter({ a: 3, b: 300 });
    const sizes = createRoomCache(db.load, 0, { ttlMs: 1_000, now: () => now });
    const [first, second] = await Promise.all([sizes.of(["a", "b"]), sizes.of(["b", "a"])]);
    expect([...first]).toEqual([["a", 3], ["b", 300]]);
    expect([...second]).toEqual([["b", 300], ["a", 3]]);
    expect(db.queries).toEqual([["a", "b"]]);

    now = 999;
    expect((await sizes.of(["a", "c", "c"])).get("c")).toBe(0); // not returned by the loader: `missing`
    expect(db.queries).toEqual([["a", "b"], ["c"]]);
    now = 1_000;
    await sizes.of(["a"]);
    expect(db.queries.at(-1)).toEqual(["a"]);
  });

  it("loads a forgotten room again at the next ask, within the TTL, and leaves the others cached", async () => {
    const db = counter({ a: 3, b: 300 });
    const sizes = createRoomCache(db.load, 0, { ttlMs: 60_000 });
    await sizes.of(["a", "b"]);
    sizes.forget("a");
    sizes.forget("unknown");
    await sizes.of(["a", "b"]);
    expect(db.queries).toEqual([["a", "b"], ["a"]]);
  });

  it("updates a cached room in place of a load, after a load in flight, and nothing when the room is not cached", async () => {
    const db = counter({ a: 3, b: 300 });
    const sizes = createRoomCache(db.load, 0, { ttlMs: 60_000 });
    const inFlight = sizes.of(["a"]);
    sizes.update("a", (n) => n + 1); // applies once the load in flight answers
    sizes.update("b", (n) => n + 1); // not cached: nothing to change
    expect((await inFlight).get("a")).toBe(3); // the caller that asked before the change
    expect([...(await sizes.of(["a", "b"]))]).toEqual([["a", 4], ["b", 300]]);
    expect(db.queries).toEqual([["a"], ["b"]]);
  });

  it("does not keep a failed load", async () => {
    const db = counter({ a: 3 });
    const sizes = createRoomCache(db.load, 0, { ttlMs: 60_000 });
    db.fail(true);
    await expect(sizes.of(["a"])).rejects.toThrow("database unavailable");
    db.fail(false);
    expect((await sizes.of(["a"])).get("a")).toBe(3);
    expect(db.queries).toHaveLength(2);
  });
});
