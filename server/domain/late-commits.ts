// A send whose transaction failed because the database connection dropped may
// still have been committed: the connection can die after PostgreSQL took the
// COMMIT and before its answer arrived. The sender was answered `unavailable`
// and resends with the same clientId; the store answers the resend as a
// duplicate, and duplicates are not broadcast (the first attempt normally was).
// Here the first attempt was not, so the sender's room-mates would only see
// the message at their next sync (gap fill, reconnect).
//
// This watch looks such writes up by the message id they were attempted with
// and reports each one that turns out to be stored, once, so the realtime layer
// can broadcast it. Ids are chosen per attempt, so a message that a resend
// created (the first attempt really failed) has another id and is never
// mistaken for one of these: it was broadcast by the resend.
import type { ChatMessage } from "../../lib/contract";

export interface LateCommitTimings {
  /** How long after the failure the first look-up runs: the commit, if it happened, is long done by then. */
  firstCheckMs: number;
  /** How often look-ups are retried while the database stays unreachable. */
  retryMs: number;
  /** After this long without an answer a write is forgotten (its room-mates still get it at their next sync). */
  giveUpMs: number;
}

export const DEFAULT_LATE_COMMIT_TIMINGS: LateCommitTimings = { firstCheckMs: 1_000, retryMs: 5_000, giveUpMs: 5 * 60_000 };

/** Writes watched at once, at most: an outage that fails more sends than this forgets the oldest. */
const MAX_WATCHED = 10_000;

export interface LateCommitWatch {
  /** Watches the message id a failed write was attempted with. */
  watch(messageId: string): void;
  /** Tells `listener` about every watched write that turns out to be stored (until close). */
  onCommitted(listener: (message: ChatMessage) => void): void;
  /** How many writes are being watched. */
  readonly size: number;
  /**
   * Looks every watched write up now, however recent (a graceful stop, before
   * the node goes away); gives up after `timeoutMs` if the database does not answer.
   */
  settleNow(timeoutMs?: number): Promise<void>;
  close(): void;
}

export function createLateCommitWatch(
  /** The stored messages among these ids; throws while the database is unreachable. */
  find: (messageIds: string[]) => Promise<ChatMessage[]>,
  options: { timings?: LateCommitTimings; onError?: (err: unknown) => void } = {},
): LateCommitWatch {
  const timings = options.timings ?? DEFAULT_LATE_COMMIT_TIMINGS;
  /** Message id → when its write failed. Insertion order is age order. */
  const watched = new Map<string, number>();
  const listeners: ((message: ChatMessage) => void)[] = [];
  let timer: NodeJS.Timeout | undefined;
  let checking = false;
  let closed = false;

  const schedule = (delayMs: number) => {
    if (timer || closed || watched.size === 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      void check();
    }, delayMs);
    timer.unref?.();
  };

  /** Looks up the writes whose first check is due (all of them with `everything`). */
  async function check(everything = false): Promise<void> {
    if (checking) return;
    checking = true;
    const now = Date.now();
    const due = [...watched].filter(([, failedAt]) => everything || now - failedAt >= timings.firstCheckMs).map(([id]) => id);
    let answered = true;
    try {
      if (due.length > 0) {
        const stored = await find(due);
        if (closed) return; // stopped meanwhile: nobody to tell
        // The database answered: every id looked up is settled, stored or not.
        for (const id of due) watched.delete(id);
        for (const message of stored) for (const listener of listeners) listener(message);
      }
    } catch (err) {
      answered = false;
      options.onError?.(err);
      for (const [id, failedAt] of watched) if (now - failedAt >= timings.giveUpMs) watched.delete(id);
    } finally {
      checking = false;
    }
    // Unanswered: try again. Answered: the writes that failed since are due firstCheckMs after their failure.
    const next = watched.values().next();
    if (!answered) schedule(timings.retryMs);
    else if (!next.done) schedule(Math.max(0, next.value + timings.firstCheckMs - Date.now()));
  }

  return {
    watch(messageId) {
      if (closed) return;
      if (watched.size >= MAX_WATCHED) watched.delete(watched.keys().next().value!);
      watched.set(messageId, Date.now());
      schedule(timings.firstCheckMs);
    },
    onCommitted(listener) {
      listeners.push(listener);
    },
    get size() {
      return watched.size;
    },
    async settleNow(timeoutMs = 2_000) {
      clearTimeout(timer);
      timer = undefined;
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([check(true), new Promise<void>((resolve) => (timeout = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timeout);
    },
    close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      watched.clear();
    },
  };
}
