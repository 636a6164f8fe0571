import { describe, expect, it } from "vitest";
import type { AppendOutcome, MessageDraft, MessagesStore, RoomDraft } from "./ports";
import { MessageWriteQueue } from "./write-queue";

/**
 * A store that records the batches it is asked to write and answers after
 * `delayMs`, numbering each room's messages from 1 in the order it gets them.
 */
function recordingStore(delayMs: number | (() => number), fail?: () => boolean) {
  const batches: { drafts: RoomDraft[] }[] = [];
  const seqs = new Map<string, number>();
  const roomsInFlight = new Set<string>();
  let inFlight = 0;
  let maxInFlight = 0;
  let overlaps = 0;
  const store: Pick<MessagesStore, "appendBatch"> = {
    async appendBatch(drafts) {
      batches.push({ drafts });
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      const rooms = new Set(drafts.map((d) => d.roomId));
      for (const room of rooms) if (roomsInFlight.has(room)) overlaps++;
      for (const room of rooms) roomsInFlight.add(room);
      await new Promise((r) => setTimeout(r, typeof delayMs === "number" ? delayMs : delayMs()));
      for (const room of rooms) roomsInFlight.delete(room);
      inFlight--;
      if (fail?.()) throw new Error("database down");
      return drafts.map((d): AppendOutcome => {
        const seq = (seqs.get(d.roomId) ?? 0) + 1;
        seqs.set(d.roomId, seq);
        return {
          status: "created",
          message: {
            id: `${d.roomId}-${seq}`,
            roomId: d.roomId,
            seq,
            change: seq,
            clientId: d.clientId,
            author: { id: d.authorId, name: d.authorId },
            body: d.body,
            createdAt: new Date(0).toISOString(),
            editedAt: null,
            deletedAt: null,
          },
        };
      });
    },
  };
  return { batches, store: store as MessagesStore, maxInFlight: () => maxInFlight, overlaps: () => overlaps };
}

const draft = (i: number): MessageDraft => ({ id: `m${i}`, authorId: "a", clientId: `c${i}`, body: `m${i}` });

describe("MessageWriteQueue", () => {
  it("writes a lone message by itself", async () => {
    const { batches, store } = recordingStore(1);
    const queue = new MessageWriteQueue(store);
    const outcome = await queue.append("r1", draft(1));
    expect(outcome.status).toBe("created");
    expect(batches).toHaveLength(1);
  });

  it("groups sends that arrive while a write is in flight, keeping their order", async () => {
    const { batches, store } = recordingStore(20);
    const queue = new MessageWriteQueue(store);
    const first = queue.append("r1", draft(0));
    await new Promise((r) => setTimeout(r, 5)); // first batch is now in flight
    const rest = Array.from({ length: 50 }, (_, i) => queue.append("r1", draft(i + 1)));
    const outcomes = await Promise.all([first, ...rest]);
    expect(batches.map((b) => b.drafts.length)).toEqual([1, 50]);
    const seqs = outcomes.map((o) => (o.status === "rejected" ? -1 : o.message.seq));
    expect(seqs).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
  });

  it("respects the batch size cap, giving a room cut short by it a later turn", async () => {
    const { batches, store } = recordingStore(5);
    const queue = new MessageWriteQueue(store, 10, undefined, 1);
    await Promise.all([
      ...Array.from({ length: 25 }, (_, i) => queue.append("r1", draft(i))),
      queue.append("r2", draft(99)),
    ]);
    expect(batches.map((b) => b.drafts.map((d) => d.roomId).join())).toEqual([
      Array(10).fill("r1").join(),
      "r2," + Array(9).fill("r1").join(),
      Array(6).fill("r1").join(),
    ]);
  });

  it("writes the sends of several rooms that arrive together in one batch", async () => {
    const { batches, store } = recordingStore(1);
    const queue = new MessageWriteQueue(store, 256, undefined, 1);
    const outcomes = await Promise.all(["r1", "r2", "r3", "r1"].map((room, i) => queue.append(room, draft(i))));
    expect(batches).toHaveLength(1);
    expect(batches[0]!.drafts.map((d) => `${d.roomId}:${d.clientId}`)).toEqual(["r1:c0", "r1:c3", "r2:c1", "r3:c2"]);
    expect(outcomes.map((o) => (o.status === "rejected" ? "" : `${o.message.roomId}:${o.message.seq}`))).toEqual([
      "r1:1",
      "r2:1",
      "r3:1",
      "r1:2",
    ]);
  });

  it("shares the waiting rooms among the free slots, so batches run side by side", async () => {
    const { batches, store, maxInFlight } = recordingStore(5);
    const queue = new MessageWriteQueue(store, 256, undefined, 2);
    await Promise.all(["r1", "r2", "r3", "r4", "r5"].flatMap((room, i) => [queue.append(room, draft(i)), queue.append(room, draft(i + 10))]));
    expect(maxInFlight()).toBe(2);
    expect(batches.map((b) => [...new Set(b.drafts.map((d) => d.roomId))].join())).toEqual(["r1,r2,r3", "r4,r5"]);
  });

  it("never has a room in two batches at once, so its seqs follow arrival order", async () => {
    // Random write times: were a room in two batches at once, the later one could finish first.
    const { batches, store, maxInFlight, overlaps } = recordingStore(() => 1 + Math.random() * 5);
    const queue = new MessageWriteQueue(store, 4, undefined, 3);
    const rooms = ["r1", "r2", "r3", "r4", "r5"];
    const sends: Promise<AppendOutcome>[] = [];
    for (let wave = 0; wave < 6; wave++) {
      for (let i = 0; i < 7; i++) sends.push(queue.append(rooms[(wave + i * 3) % rooms.length]!, draft(wave * 7 + i)));
      await new Promise((r) => setTimeout(r, 1));
    }
    const outcomes = await Promise.all(sends);
    expect(maxInFlight()).toBeGreaterThan(1);
    expect(maxInFlight()).toBeLessThanOrEqual(3);
    expect(overlaps()).toBe(0);
    for (const room of rooms) {
      const seqs = outcomes.flatMap((o) => (o.status !== "rejected" && o.message.roomId === room ? [o.message.seq] : []));
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    }
    expect(batches.every((b) => b.drafts.length <= 4)).toBe(true);
    await queue.drain();
    expect(queue.depth).toBe(0);
  });

  it("rejects every send of a failed batch and recovers for the next one", async () => {
    let down = true;
    const { store } = recordingStore(1, () => down);
    const queue = new MessageWriteQueue(store);
    await expect(queue.append("r1", draft(1))).rejects.toThrow("database down");
    down = false;
    await expect(queue.append("r1", draft(2))).resolves.toMatchObject({ status: "created" });
    await queue.drain();
    expect(queue.depth).toBe(0);
  });

  describe("with an admission check (the rate limit) running while a send waits", () => {
    /** An admission check the test decides the outcome of. */
    function gate() {
      let pass!: () => void;
      let refuse!: (err: Error) => void;
      const promise = new Promise<void>((resolve, reject) => {
        pass = resolve;
        refuse = reject;
      });
      return { promise, pass, refuse };
    }
    const tick = () => new Promise((r) => setTimeout(r, 5));

    it("writes a send only once its check passed", async () => {
      const { batches, store } = recordingStore(1);
      const queue = new MessageWriteQueue(store);
      const check = gate();
      const sent = queue.append("r1", draft(1), check.promise);
      await tick();
      expect(batches).toHaveLength(0);
      check.pass();
      await expect(sent).resolves.toMatchObject({ status: "created" });
      expect(batches).toHaveLength(1);
    });

    it("answers a refused send with the refusal and never writes it", async () => {
      const { batches, store } = recordingStore(1);
      const queue = new MessageWriteQueue(store);
      const check = gate();
      const refused = queue.append("r1", draft(1), check.promise);
      const other = queue.append("r1", draft(2), Promise.resolve());
      check.refuse(new Error("rate_limited"));
      await expect(refused).rejects.toThrow("rate_limited");
      await expect(other).resolves.toMatchObject({ status: "created", message: { seq: 1, clientId: "c2" } });
      expect(batches.flatMap((b) => b.drafts.map((d) => d.clientId))).toEqual(["c2"]);
      await queue.drain();
      expect(queue.depth).toBe(0);
    });

    it("keeps a room's arrival order when a later send's check finishes first, without holding up other rooms", async () => {
      const { batches, store } = recordingStore(1);
      const queue = new MessageWriteQueue(store);
      const slow = gate();
      const first = queue.append("r1", draft(1), slow.promise);
      const second = queue.append("r1", draft(2), Promise.resolve());
      const elsewhere = queue.append("r2", draft(3), Promise.resolve());
      await expect(elsewhere).resolves.toMatchObject({ status: "created" });
      await tick();
      // r2 was written; r1's second send waits for its first.
      expect(batches.flatMap((b) => b.drafts.map((d) => d.clientId))).toEqual(["c3"]);
      slow.pass();
      const outcomes = await Promise.all([first, second]);
      expect(outcomes.map((o) => (o.status === "rejected" ? "" : `${o.message.clientId}:${o.message.seq}`))).toEqual(["c1:1", "c2:2"]);
    });

    it("answers refusals in the middle of a room's sends and writes the rest in order", async () => {
      const { batches, store } = recordingStore(1);
      const queue = new MessageWriteQueue(store);
      const checks = Array.from({ length: 6 }, gate);
      const sends = checks.map((c, i) => queue.append("r1", draft(i), c.promise));
      checks.forEach((c, i) => (i % 2 ? c.refuse(new Error(`no ${i}`)) : c.pass()));
      const settled = await Promise.allSettled(sends);
      expect(settled.map((r) => (r.status === "fulfilled" ? "ok" : (r.reason as Error).message))).toEqual(["ok", "no 1", "ok", "no 3", "ok", "no 5"]);
      expect(batches.flatMap((b) => b.drafts.map((d) => d.clientId))).toEqual(["c0", "c2", "c4"]);
    });
  });
});
