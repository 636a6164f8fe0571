import { createTokenBucket } from "../domain/token-bucket";
import { createTypingTracker, TYPING_RATE_LIMIT, type Typist, type TypingTimings } from "../domain/typing.service";
import type { CommandContext, SignalHandlers } from "./command";
import type { RealtimeCounters } from "./presence.handlers";
import { channels, type ParleyServer, type ParleySocket } from "./types";

/**
 * `typing:start` / `typing:stop { roomId }`: members only, told to the other
 * members of the room (on every node, through the adapter) and never to the
 * typist's own connections. Starts are rate-limited per socket; floods are
 * dropped silently (typing is fire-and-forget).
 */
export function createTypingRealtime(
  io: ParleyServer,
  ctx: CommandContext & { counters: RealtimeCounters; timings?: Partial<TypingTimings> },
) {
  const emit = (roomId: string, user: Typist, typing: boolean) => {
    ctx.counters.typingBroadcasts += 1;
    io.to(channels.room(roomId))
      .except(channels.user(user.id))
      .emit("typing:changed", { roomId, userId: user.id, name: user.name, typing });
  };
  const tracker = createTypingTracker({ onExpired: (roomId, user) => emit(roomId, user, false), timings: ctx.timings });

  const signals: SignalHandlers = {
    "typing:start": (socket, { roomId }) => {
      // The socket is in a room's channel exactly while its user is a member.
      if (!socket.rooms.has(channels.room(roomId))) return;
      // Made on the first start: most connections never type, and a bucket per socket costs memory.
      const bucket = (socket.data.typingBucket ??= createTokenBucket(TYPING_RATE_LIMIT));
      if (!bucket.take()) return;
      const user = { id: socket.data.user.id, name: socket.data.user.name };
      if (tracker.start(roomId, user, socket.id)) emit(roomId, user, true);
    },
    // Not rate-limited: a stop only ever ends a state some allowed start began.
    "typing:stop": (socket, { roomId }) => {
      const user = tracker.stop(roomId, socket.data.user.id);
      if (user) emit(roomId, user, false);
    },
  };

  return {
    tracker,
    signals,

    /** A socket closed: whatever it was typing stops. */
    disconnected(socket: ParleySocket): void {
      for (const { roomId, user } of tracker.dropSource(socket.id)) emit(roomId, user, false);
    },

    close: () => tracker.clear(),
  };
}
