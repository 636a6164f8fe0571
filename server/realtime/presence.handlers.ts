import type { PresenceChanged } from "../../lib/contract";
import type { PresenceStore } from "../domain/ports";
import { createPresenceService, type PresenceTimings } from "../domain/presence.service";
import type { Services } from "../domain/services";
import type { CommandContext, CommandHandlers } from "./command";
import { channels, memberRoomsOf, type ParleyServer, type ParleySocket } from "./types";

/** Plain counters (no metrics library) that tests and benchmarks read. */
export interface RealtimeCounters {
  /** `presence:changed` broadcasts this node sent (one per status change, whatever the number of rooms). */
  presenceBroadcasts: number;
  /** Rooms those broadcasts were addressed to, summed. */
  presenceRoomTargets: number;
  /** `typing:changed` broadcasts this node sent. */
  typingBroadcasts: number;
}

/**
 * Presence over Socket.IO: every connection is registered with the presence
 * service; status changes go to the user's rooms only (one broadcast to all of
 * them: a socket sharing several rooms with the user gets it once). Room-mates
 * learn everyone's status in one `room:members` call when they open a room,
 * not one event per member.
 */
export function createPresenceRealtime(
  io: ParleyServer,
  ctx: CommandContext & {
    services: Services;
    store: PresenceStore;
    nodeId: string;
    timings?: Partial<PresenceTimings>;
    counters: RealtimeCounters;
  },
) {
  const { counters, logger } = ctx;
  const presence = createPresenceService({
    store: ctx.store,
    nodeId: ctx.nodeId,
    rooms: ctx.services.rooms,
    users: ctx.services.users,
    logger,
    timings: ctx.timings,
    publish: ({ roomIds, ...event }) => batcher.add(roomIds, event),
  });

  // Coalescing: when 1,000 people open a room at once, each arrival would
  // otherwise be one send to every member: O(N^2) packets (the benchmark's
  // connect storm). A lone change goes out at once as a plain `presence:changed`;
  // a burst as `presence:batch` packets, at most two per audience per
  // PRESENCE_BATCH_MS (see createPresenceBatcher).
  const batcher = createPresenceBatcher((roomIds, changes) => {
    counters.presenceBroadcasts += 1;
    counters.presenceRoomTargets += roomIds.length;
    const to = io.to(roomIds.map(channels.room));
    if (changes.length === 1) to.emit("presence:changed", changes[0]!);
    else to.emit("presence:batch", { changes });
  });

  const commands: CommandHandlers = {
    "presence:set": async (socket, { status }) => ({
      status: await presence.setStatus(socket.id, status, memberRoomsOf(socket)),
    }),
    "room:members": async (socket, { roomId }) => ({
      members: await presence.roomMembers(socket.data.user, roomId),
    }),
  };

  return {
    presence,
    commands,

    /** A socket connected; `roomIds`: its user's rooms (the channels it joined). Its user may come online. */
    connected(socket: ParleySocket, roomIds: string[]): void {
      // A hidden tab that reconnects can say so in the handshake (`auth: { token, presence: "away" }`).
      const auth = socket.handshake.auth as { presence?: unknown } | undefined;
      const { user } = socket.data;
      void presence.connected(
        { connId: socket.id, userId: user.id, name: user.name, status: auth?.presence === "away" ? "away" : "online" },
        roomIds,
      );
    },

    disconnected: (socket: ParleySocket) => void presence.disconnected(socket.id),

    start: () => presence.start(),
    stop: async () => {
      await presence.stop();
      batcher.flush(); // the offline announcements of a graceful stop
    },
  };
}

/** At most this often (twice, at the edges of a window) an audience hears about presence changes. */
export const PRESENCE_BATCH_MS = 1_000;

/**
 * Throttles presence changes per audience (the same set of rooms). A change for
 * a quiet audience goes out at once; changes for an audience that heard
 * something in the current window are held and sent together when it ends,
 * the latest change per user winning. So a lone change costs no latency and a
 * connect storm costs each audience at most two packets per window: each
 * packet is one write per member socket, and on this hardware the per-write
 * cost, not the bytes, is what a storm of arrivals spends its CPU on.
 */
export function createPresenceBatcher(
  send: (roomIds: string[], changes: PresenceChanged[]) => void,
  windowMs = PRESENCE_BATCH_MS,
) {
  const pending = new Map<string, { roomIds: string[]; byUser: Map<string, PresenceChanged> }>();
  /** Audiences that were sent something in the current window. */
  const recent = new Set<string>();
  let timer: NodeJS.Timeout | undefined;

  const sendPending = () => {
    const groups = [...pending];
    pending.clear();
    for (const [key, { roomIds, byUser }] of groups) {
      recent.add(key);
      send(roomIds, [...byUser.values()]);
    }
  };
  const endWindow = () => {
    timer = undefined;
    recent.clear();
    sendPending();
    // Whoever was just sent to stays throttled for one more window.
    if (recent.size > 0) timer = setTimeout(endWindow, windowMs);
  };

  return {
    add(roomIds: string[], change: PresenceChanged) {
      if (roomIds.length === 0) return;
      const key = [...roomIds].sort().join(",");
      timer ??= setTimeout(endWindow, windowMs);
      if (!recent.has(key)) {
        recent.add(key);
        send(roomIds, [change]);
        return;
      }
      let group = pending.get(key);
      if (!group) pending.set(key, (group = { roomIds, byUser: new Map() }));
      group.byUser.set(change.userId, change);
    },
    /** Sends whatever is held now (shutdown). */
    flush() {
      clearTimeout(timer);
      timer = undefined;
      sendPending();
      recent.clear();
    },
  };
}
