import { describe, expect, it } from "vitest";
import type { ChatMessage } from "../../lib/contract";
import { createLateCommitWatch } from "./late-commits";

const message = (id: string): ChatMessage => ({
  id,
  roomId: "r1",
  seq: 1,
  change: 1,
  clientId: `client-${id}`,
  author: { id: "u1", name: "Ann" },
  body: "hello",
  createdAt: new Date(0).toISOString(),
  editedAt: null,
  deletedAt: null,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polls until `check` holds (timers may run late on a busy machine); fails after 2 s. */
async function eventually(check: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 2_000; !check(); await sleep(5)) {
    if (Date.now() > deadline) throw new Error(`still false: ${check.toString()}`);
  }
}
const timings = { firstCheckMs: 30, retryMs: 20, giveUpMs: 150 };

/** A database holding `stored`, that can be made unreachable, and that records its look-ups. */
function database(stored: string[]) {
  const lookups: string[][] = [];
  let down = false;
  return {
    lookups,
    setDown: (value: boolean) => (down = value),
    find: async (ids: string[]) => {
      lookups.push(ids);
      if (down) throw new Error("connection refused");
      return ids.filter((id) => stored.includes(id)).map(message);
    },
  };
}

describe("late commit watch", () => {
  it("reports a watched write that turned out stored, once, and forgets the others once the database answered", async () => {
    const db = database(["m1"]);
    const watch = createLateCommitWatch(db.find, { timings });
    const reported: string[] = [];
    watch.onCommitted((m) => reported.push(m.id));
    watch.watch("m1");
    watch.watch("m2");
    await sleep(10);
    expect(db.lookups).toEqual([]); // not before firstCheckMs: the commit may still be under way
    await eventually(() => watch.size === 0);
    expect(db.lookups).toEqual([["m1", "m2"]]); // one look-up for the writes that failed together
    expect(reported).toEqual(["m1"]);
    await sleep(60);
    expect(reported).toEqual(["m1"]);
    watch.close();
  });

  it("keeps looking while the database is unreachable, and gives up after giveUpMs", async () => {
    const db = database(["m1", "m2"]);
    const errors: unknown[] = [];
    const watch = createLateCommitWatch(db.find, { timings, onError: (err) => errors.push(err) });
    const reported: string[] = [];
    watch.onCommitted((m) => reported.push(m.id));
    db.setDown(true);
    watch.watch("m1");
    await eventually(() => db.lookups.length >= 2);
    expect(errors.length).toBe(db.lookups.length);
    expect(reported).toEqual([]);
    db.setDown(false);
    await eventually(() => reported.length > 0);
    expect(reported).toEqual(["m1"]);

    db.setDown(true);
    const failedAt = Date.now();
    watch.watch("m2");
    await eventually(() => watch.size === 0); // forgotten: its room-mates get it at their next sync
    expect(Date.now() - failedAt).toBeGreaterThanOrEqual(timings.giveUpMs);
    db.setDown(false);
    await sleep(60);
    expect(reported).toEqual(["m1"]);
    watch.close();
  });

  it("checks writes that fail later at their own time, and stops when closed", async () => {
    const db = database(["m1", "m2", "m3"]);
    const watch = createLateCommitWatch(db.find, { timings });
    const reported: string[] = [];
    watch.onCommitted((m) => reported.push(m.id));
    watch.watch("m1");
    await eventually(() => reported.length === 1);
    watch.watch("m2");
    await eventually(() => reported.length === 2);
    expect(db.lookups).toEqual([["m1"], ["m2"]]);
    expect(reported).toEqual(["m1", "m2"]);
    watch.watch("m3");
    watch.close();
    await sleep(60);
    expect(db.lookups).toHaveLength(2);
    expect(reported).toEqual(["m1", "m2"]);
  });

  it("settles every watched write at once when the node stops, and does not hang on an unreachable database", async () => {
    const db = database(["m1"]);
    const watch = createLateCommitWatch(db.find, { timings: { ...timings, firstCheckMs: 60_000 } });
    const reported: string[] = [];
    watch.onCommitted((m) => reported.push(m.id));
    watch.watch("m1");
    watch.watch("m2");
    await watch.settleNow();
    expect(reported).toEqual(["m1"]);
    expect(watch.size).toBe(0);

    const hanging = createLateCommitWatch(() => new Promise<never>(() => {}), { timings });
    hanging.watch("m3");
    const started = Date.now();
    await hanging.settleNow(50);
    expect(Date.now() - started).toBeLessThan(1_000);
    hanging.close();
    watch.close();
  });
});
