import type { AppendOutcome, MessageDraft, MessagesStore } from "./ports";

interface Pending {
  roomId: string;
  draft: MessageDraft;
  resolve: (outcome: AppendOutcome) => void;
  reject: (err: unknown) => void;
  /** Its admission check: running, passed (or there was none: it may go into a batch), or failed. */
  admission: "checking" | "admitted" | "refused";
  /** Why it was refused: what the send is answered with (it is never written). */
  refusal?: unknown;
}

/**
 * Group commit for message writes. Sends that arrive while a write is in flight
 * are stored together in the next transaction, whatever their room: one
 * statement and one commit per batch instead of per message (or per room), with
 * no added latency when the node is quiet. Every caller still resolves only
 * after its batch committed.
 *
 * PERFORMANCE (bench/, issue 6): a batch has a fixed cost whatever its size
 * (measured at ~4 ms of CPU when the statement was planned at every call and
 * sent through Prisma; less now that it is prepared and sent through `db.sql`,
 * but still far above the ~0.05 ms a message adds). One batch per room
 * kept up to one statement per room in flight (10 rooms: ~400 statements/s
 * of ~8 messages at 3,000 msg/s), and those fixed costs were most of
 * PostgreSQL's CPU and of the ack latency. Batching across rooms makes the
 * batches as large as the load.
 *
 * A room is in at most one batch in flight: its next sends wait for that batch,
 * so seqs follow the order sends arrived on this node (a client's messages keep
 * their order). Up to `maxInFlight` batches of disjoint rooms run at once
 * (DATABASE_WRITE_CONCURRENCY): the rooms waiting are shared among the free
 * slots, so two batches of half the rooms each run side by side rather than one
 * batch of every room while the other slot idles.
 *
 * One by default: measured at 3,000 msg/s (bench, PostgreSQL on the same 2
 * cores), two in flight made ~50% more statements of ~40% fewer messages each,
 * and each took longer (2.1-2.5 vs 1.4-1.9 ms): 15-20% more CPU for the machine
 * and a higher ack p50 (4.3 vs 3.4 ms), with p99 no better. More in flight
 * pays when PostgreSQL has cores to spare and sits a network round trip away.
 *
 * A send can come with an admission check (the shared rate limit, a Redis
 * round trip) that runs while the send waits for its turn instead of before it
 * joins the queue: a send goes into a batch only once its check passed, a
 * refused one is answered with the refusal and never written, and a room's
 * sends still go in arrival order (a send whose check is still running holds
 * back the later sends of its room, not those of other rooms).
 */
export class MessageWriteQueue {
  /** Sends not yet in a batch, per room, in arrival order. */
  private readonly pending = new Map<string, Pending[]>();
  /** Rooms with a batch in flight. */
  private readonly busy = new Set<string>();
  private readonly flights = new Set<Promise<void>>();
  private scheduled = false;

  constructor(
    private readonly store: MessagesStore,
    private readonly maxBatch = 256,
    /** Told about every transaction (size, seconds, success): metrics hook. */
    private readonly onBatch?: (size: number, seconds: number, ok: boolean) => void,
    private readonly maxInFlight = 1,
  ) {}

  /**
   * Resolves once the draft is committed (or the store refused it). With
   * `admission`, the draft is written only if that resolves; if it rejects, so
   * does this, with the same reason.
   */
  append(roomId: string, draft: MessageDraft, admission?: Promise<void>): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      let queue = this.pending.get(roomId);
      if (!queue) this.pending.set(roomId, (queue = []));
      const entry: Pending = { roomId, draft, resolve, reject, admission: admission ? "checking" : "admitted" };
      queue.push(entry);
      if (admission) {
        admission.then(
          () => {
            entry.admission = "admitted";
            this.schedulePump();
          },
          (err: unknown) => {
            entry.admission = "refused";
            entry.refusal = err;
            this.schedulePump();
          },
        );
      } else {
        this.schedulePump();
      }
    });
  }

  private schedulePump(): void {
    if (this.scheduled) return;
    // setImmediate: let the sends that arrived (or were admitted) in this same I/O turn join the batch.
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Resolves when everything queued so far has been written (or failed). */
  async drain(): Promise<void> {
    while (this.flights.size > 0 || this.pending.size > 0) {
      if (this.flights.size > 0) await Promise.allSettled([...this.flights]);
      else await new Promise<void>((done) => setImmediate(done)); // a pump is scheduled
    }
  }

  get depth(): number {
    let n = 0;
    for (const queue of this.pending.values()) n += queue.length;
    return n;
  }

  /** Starts batches while there is room for one and something to put in it. */
  private pump(): void {
    while (this.flights.size < this.maxInFlight) {
      const batch = this.take();
      if (batch.length === 0) return;
      const flight: Promise<void> = this.write(batch).finally(() => {
        for (const p of batch) this.busy.delete(p.roomId);
        this.flights.delete(flight);
        this.pump();
      });
      this.flights.add(flight);
    }
  }

  /** Up to maxBatch admitted sends of rooms not in flight, each room's in arrival order. */
  private take(): Pending[] {
    const batch: Pending[] = [];
    // Share the ready rooms among the free slots so batches run side by side
    // (one backend per core) instead of one big batch and idle slots.
    let ready = 0;
    for (const [roomId, queue] of this.pending) if (!this.busy.has(roomId) && this.settleRefused(roomId, queue)) ready++;
    const maxRooms = Math.ceil(ready / (this.maxInFlight - this.flights.size));
    let rooms = 0;
    for (const [roomId, queue] of [...this.pending]) {
      if (batch.length >= this.maxBatch || rooms >= maxRooms) break;
      if (this.busy.has(roomId) || queue[0]?.admission !== "admitted") continue;
      this.busy.add(roomId);
      rooms++;
      // The room's sends up to the first still being checked: the admitted go
      // into the batch (the first one does), the refused are answered.
      let taken = 0;
      while (taken < queue.length && queue[taken]!.admission !== "checking" && batch.length < this.maxBatch) {
        const entry = queue[taken++]!;
        if (entry.admission === "admitted") batch.push(entry);
        else entry.reject(entry.refusal);
      }
      queue.splice(0, taken);
      // A room cut short by the cap goes to the back, so the others get their turn first.
      this.pending.delete(roomId);
      if (queue.length > 0) this.pending.set(roomId, queue);
    }
    return batch;
  }

  /**
   * Answers the refused sends at the head of a room's queue (they hold nothing
   * back) and drops the room if that empties it. True if the room's next send
   * is admitted, so it can go into a batch now.
   */
  private settleRefused(roomId: string, queue: Pending[]): boolean {
    while (queue[0]?.admission === "refused") {
      const refused = queue.shift()!;
      refused.reject(refused.refusal);
    }
    if (queue.length === 0) this.pending.delete(roomId);
    return queue[0]?.admission === "admitted";
  }

  private async write(batch: Pending[]): Promise<void> {
    const started = performance.now();
    try {
      const outcomes = await this.store.appendBatch(batch.map((p) => ({ ...p.draft, roomId: p.roomId })));
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
