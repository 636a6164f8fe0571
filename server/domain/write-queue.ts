import type { AppendOutcome, MessageDraft, MessagesStore } from "./ports";

interface Pending {
  roomId: string;
  draft: MessageDraft;
  resolve: (outcome: AppendOutcome) => void;
  reject: (err: unknown) => void;
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

  append(roomId: string, draft: MessageDraft): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      let queue = this.pending.get(roomId);
      if (!queue) this.pending.set(roomId, (queue = []));
      queue.push({ roomId, draft, resolve, reject });
      if (!this.scheduled) {
        // setImmediate: let the sends that arrived in this same I/O turn join the batch.
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
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

  /** Up to maxBatch pending sends of rooms not in flight, each room's in arrival order. */
  private take(): Pending[] {
    const batch: Pending[] = [];
    // Share the free rooms among the free slots so batches run side by side
    // (one backend per core) instead of one big batch and idle slots.
    let free = 0;
    for (const roomId of this.pending.keys()) if (!this.busy.has(roomId)) free++;
    const maxRooms = Math.ceil(free / (this.maxInFlight - this.flights.size));
    let rooms = 0;
    for (const [roomId, queue] of [...this.pending]) {
      if (batch.length >= this.maxBatch || rooms >= maxRooms) break;
      if (this.busy.has(roomId)) continue;
      this.busy.add(roomId);
      rooms++;
      batch.push(...queue.splice(0, this.maxBatch - batch.length));
      // A room cut short by the cap goes to the back, so the others get their turn first.
      this.pending.delete(roomId);
      if (queue.length > 0) this.pending.set(roomId, queue);
    }
    return batch;
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
