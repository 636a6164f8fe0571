import { describe, expect, it } from "vitest";
import type { AppendOutcome, MessageDraft, MessagesStore } from "./ports";
import { MessageWriteQueue } from "./write-queue";

/** A store that records the batches it is asked to write and answers after `delayMs`. */
function recordingStore(delayMs: number, fail?: () => boolean) {
  const batches: { roomId: string; drafts: MessageDraft[] }[] = [];
  let seq = 0;
  const store: Pick<MessagesStore, "appendBatch"> = {
    async appendBatch(roomId, drafts) {
      batches.push({ roomId, drafts });
      await new Promise((r) => setTimeout(r, delayMs));
      if (fail?.()) throw new Error("database down");
      return drafts.map(
        (d): AppendOutcome => ({
          status: "created",
          message: {
            id: `${roomId}-${++seq}`,
            roomId,
            seq,
            change: seq,
            clientId: d.clientId,
            author: { id: d.authorId, name: d.authorId },
            body: d.body,
            createdAt: new Date(0).toISOString(),
            editedAt: null,
            deletedAt: null,
          },
        }),
      );
    },
  };
  return { batches, store: store as MessagesStore };
}

const draft = (i: number): MessageDraft => ({ authorId: "a", clientId: `c${i}`, body: `m${i}` });

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

  it("keeps rooms independent and respects the batch size cap", async () => {
    const { batches, store } = recordingStore(5);
    const queue = new MessageWriteQueue(store, 10);
    await Promise.all([
      ...Array.from({ length: 25 }, (_, i) => queue.append("r1", draft(i))),
      queue.append("r2", draft(99)),
    ]);
    expect(batches.filter((b) => b.roomId === "r1").map((b) => b.drafts.length)).toEqual([10, 10, 5]);
    expect(batches.filter((b) => b.roomId === "r2")).toHaveLength(1);
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
});
