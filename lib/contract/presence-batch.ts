// The wire shape of a burst of presence changes, and the two conversions.
//
// A connect storm is O(N^2) changes however they are packed: each of N arrivals
// is news to the N members already in the room. What packing decides is the
// bytes: user ids grouped by their new status are ~30 bytes per change, where
// one `presence:changed` object each was ~100. Those bytes are the cost: a
// server writing a 1,000-member room's batches and every client parsing them.
// Names are not repeated here; they come with `room:members`.
import type { PresenceChanged } from "./events";

/** Several users' new statuses, for one room (sent as `presence:batch`). */
export interface PresenceBatch {
  online: string[];
  away: string[];
  /** User id -> when their last connection closed (ISO). */
  offline: Record<string, string | null>;
}

/** One change as a batch carries it: everything `presence:changed` has except the name. */
export type PresenceUpdate = Omit<PresenceChanged, "name">;

/** Packs changes (at most one per user: the latest) for the wire. */
export function toPresenceBatch(changes: Iterable<PresenceUpdate>): PresenceBatch {
  const batch: PresenceBatch = { online: [], away: [], offline: {} };
  for (const { userId, status, lastSeenAt } of changes) {
    if (status === "offline") batch.offline[userId] = lastSeenAt;
    else batch[status].push(userId);
  }
  return batch;
}

/** Unpacks a batch into one update per user. */
export function fromPresenceBatch(batch: PresenceBatch): PresenceUpdate[] {
  return [
    ...batch.online.map((userId) => ({ userId, status: "online" as const, lastSeenAt: null })),
    ...batch.away.map((userId) => ({ userId, status: "away" as const, lastSeenAt: null })),
    ...Object.entries(batch.offline).map(([userId, lastSeenAt]) => ({ userId, status: "offline" as const, lastSeenAt })),
  ];
}
