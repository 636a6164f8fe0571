import type { AppendOutcome, MessageDraft, MessagesStore } from "./ports";

interface Pending {
  draft: MessageDraft;
  resolve: (outcome: AppendOutcome) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for message writes. Sends to the same room that arrive while a
 * write to that room is in flight are stored together in the next transaction:
 * one transaction per batch instead of per message, with no added latency when
 * the room is quiet. Every caller still resolves only after its batch committed.
 */
export class MessageWriteQueue {
  private readonly pending = new Map<string, Pending[]>();
  private readonly active = new Map<string, Promise<void>>();

  constructor(
    private readonly store: MessagesStore,
    private readonly maxBatch = 256,
    /** Told about every transaction (size, seconds, success): metrics hook. */
    private readonly onBatch?: (size: number, seconds: number, ok: boolean) => void,
  ) {}

  append(roomId: string, draft: MessageDraft): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      let queue = this.pending.get(roomId);
      if (!queue) this.pending.set(roomId, (queue = []));
      queue.push({ draft, resolve, reject });
      if (!this.active.has(roomId)) {
        // setImmediate: let the sends that arrived in this same I/O turn join the batch.
        const run = new Promise<void>((done) => setImmediate(done))
          .then(() => this.flush(roomId))
          .finally(() => this.active.delete(roomId));
        this.active.set(roomId, run);
      }
    });
  }

  /** Resolves when everything queued so far has been written (or failed). */
  async drain(): Promise<void> {
    while (this.active.size > 0) await Promise.allSettled([...this.active.values()]);
  }

  get depth(): number {
    let n = 0;
    for (const queue of this.pending.values()) n += queue.length;
    return n;
  }

  private async flush(roomId: string): Promise<void> {
    for (;;) {
      const queue = this.pending.get(roomId);
      if (!queue || queue.length === 0) {
        this.pending.delete(roomId);
        return;
      }
      const batch = queue.splice(0, this.maxBatch);
      const started = performance.now();
      try {
        const outcomes = await this.store.appendBatch(
          roomId,
          batch.map((p) => p.draft),
        );
        this.onBatch?.(batch.length, (performance.now() - started) / 1000, true);
        batch.forEach((p, i) => {
          const outcome = outcomes[i];
          if (outcome) p.resolve(outcome);
          else p.reject(new Error("appendBatch returned fewer outcomes than drafts"));
        });
      } catch (err) {
        this.onBatch?.(batch.length, (performance.now() - started) / 1000, false);
        for (const p of batch) p.reject(err);
      }
    }
  }
}
