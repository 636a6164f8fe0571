import type { Services } from "../domain/services";
import type { CommandContext, CommandHandlers } from "./command";
import { channels, type ParleyServer } from "./types";
import type { UserSockets } from "./user-sockets";

export function roomCommands(io: ParleyServer, ctx: CommandContext & { services: Services; userSockets: UserSockets }): CommandHandlers {
  const { rooms, moderation } = ctx.services;
  const { userSockets } = ctx;
  return {
    "room:list": async (socket) => ({ rooms: await rooms.list(socket.data.user) }),

    "room:create": async (socket, input) => {
      const actor = socket.data.user;
      const room = await rooms.create(actor, input);
      // Every socket of the creator (any node) now belongs to the room; this node's before the ack.
      userSockets.join(actor.id, room.id);
      if (room.isPublic) socket.broadcast.emit("room:created", { ...room, membership: null });
      return { room };
    },

    "room:join": async (socket, { roomId }) => {
      const actor = socket.data.user;
      await moderation.assertNotBannedFromRoom(actor, roomId);
      const { room, joinedNow } = await rooms.join(actor, roomId);
      userSockets.join(actor.id, roomId);
      if (joinedNow) {
        const user = { id: actor.id, name: actor.name };
        socket.to(channels.room(roomId)).emit("room:member-joined", { roomId, user, memberCount: room.memberCount });
      }
      return { room, lastSeq: room.lastSeq };
    },

    "room:leave": async (socket, { roomId }) => {
      const actor = socket.data.user;
      const { memberCount } = await rooms.leave(actor, roomId);
      userSockets.leave(actor.id, roomId);
      const user = { id: actor.id, name: actor.name };
      // The room's members, and the leaver's own other tabs (no longer in the room).
      io.to(channels.room(roomId)).to(channels.user(actor.id)).emit("room:member-left", { roomId, user, memberCount });
      return {};
    },

    "room:read": async (socket, { roomId, seq }) => ({
      lastReadSeq: await rooms.markRead(socket.data.user, roomId, seq),
    }),
  };
}
