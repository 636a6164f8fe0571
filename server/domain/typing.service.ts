// Typing indicators, per node. The node that receives a user's `typing:start`
// owns that (room, user) typing state and its expiry timer: the state ends on
// `typing:stop`, when the socket closes, or TYPING_SERVER_EXPIRE_MS after the
// last refresh. If that node dies, receivers drop the indicator themselves
// after TYPING_RECEIVER_EXPIRE_MS (see lib/contract/limits.ts). Nothing here
// has to be shared: the broadcasts reach other nodes through the adapter.
import { TYPING_SERVER_EXPIRE_MS } from "../../lib/contract";

export interface TypingTimings {
  /** A typing state not refreshed for this long ends. */
  expireMs: number;
  /** A refresh is re-broadcast (so receivers keep showing it) at most this often. */
  rebroadcastMs: number;
}

export const DEFAULT_TYPING_TIMINGS: TypingTimings = { expireMs: TYPING_SERVER_EXPIRE_MS, rebroadcastMs: 2_000 };

export interface Typist {
  id: string;
  name: string;
}

interface Entry {
  roomId: string;
  user: Typist;
  /** The socket whose start began or last refreshed it. */
  sourceId: string;
  timer: NodeJS.Timeout;
  lastBroadcastAt: number;
}

export function createTypingTracker(options: {
  /** A typing state ran out without a stop: tell the room `typing: false`. */
  onExpired: (roomId: string, user: Typist) => void;
  timings?: Partial<TypingTimings>;
  now?: () => number;
}) {
  const timings = { ...DEFAULT_TYPING_TIMINGS, ...options.timings };
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const keyOf = (roomId: string, userId: string) => `${roomId}\u0000${userId}`;

  const arm = (key: string) =>
    setTimeout(() => {
      const entry = entries.get(key);
      if (!entry) return;
      entries.delete(key);
      options.onExpired(entry.roomId, entry.user);
    }, timings.expireMs);

  return {
    /** Starts or refreshes a typing state. True when the room should be told `typing: true`. */
    start(roomId: string, user: Typist, sourceId: string): boolean {
      const key = keyOf(roomId, user.id);
      const entry = entries.get(key);
      if (entry) {
        clearTimeout(entry.timer);
        entry.timer = arm(key);
        entry.sourceId = sourceId;
        entry.user = user;
        if (now() - entry.lastBroadcastAt < timings.rebroadcastMs) return false;
        entry.lastBroadcastAt = now();
        return true;
      }
      entries.set(key, { roomId, user, sourceId, timer: arm(key), lastBroadcastAt: now() });
      return true;
    },

    /** Ends a typing state. The typist when the room should be told `typing: false`, else null. */
    stop(roomId: string, userId: string): Typist | null {
      const key = keyOf(roomId, userId);
      const entry = entries.get(key);
      if (!entry) return null;
      clearTimeout(entry.timer);
      entries.delete(key);
      return entry.user;
    },

    /** A socket closed: ends the typing states it was keeping alive. */
    dropSource(sourceId: string): { roomId: string; user: Typist }[] {
      const ended: { roomId: string; user: Typist }[] = [];
      for (const [key, entry] of entries) {
        if (entry.sourceId !== sourceId) continue;
        clearTimeout(entry.timer);
        entries.delete(key);
        ended.push({ roomId: entry.roomId, user: entry.user });
      }
      return ended;
    },

    isTyping: (roomId: string, userId: string) => entries.has(keyOf(roomId, userId)),

    /** Drops every state and timer (shutdown). */
    clear(): void {
      for (const entry of entries.values()) clearTimeout(entry.timer);
      entries.clear();
    },
  };
}

export type TypingTracker = ReturnType<typeof createTypingTracker>;

/** Typing events a socket may send: a burst of 10, then 2 per second (clients send about one per 2.5 s). */
export const TYPING_RATE_LIMIT = { capacity: 10, refillPerSecond: 2 } as const;
