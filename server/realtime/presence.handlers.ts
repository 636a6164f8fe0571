import type { PresenceStore } from "../domain/ports";
import { createPresenceService, type PresenceTimings } from "../domain/presence.service";
import type { Services } from "../domain/services";
import { command, type CommandContext } from "./command";
import { channels, type ParleyServer, type ParleySocket } from "./types";

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
    publish: ({ roomIds, ...event }) => {
      counters.presenceBroadcasts += 1;
      counters.presenceRoomTargets += roomIds.length;
      io.to(roomIds.map(channels.room)).emit("presence:changed", event);
    },
  });

  return {
    presence,

    register(socket: ParleySocket): void {
      command(socket, ctx, "presence:set", async ({ status }) => ({ status: await presence.setStatus(socket.id, status) }));
      command(socket, ctx, "room:members", async ({ roomId }) => ({
        members: await presence.roomMembers(socket.data.user, roomId),
      }));

      // A hidden tab that reconnects can say so in the handshake (`auth: { token, presence: "away" }`).
      const auth = socket.handshake.auth as { presence?: unknown } | undefined;
      const { user } = socket.data;
      void presence.connected({
        connId: socket.id,
        userId: user.id,
        name: user.name,
        status: auth?.presence === "away" ? "away" : "online",
      });
      socket.on("disconnect", () => void presence.disconnected(socket.id));
    },

    start: () => presence.start(),
    stop: () => presence.stop(),
  };
}
