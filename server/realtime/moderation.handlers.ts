import type { UserRef } from "../../lib/contract";
import type { Services } from "../domain/services";
import type { CommandContext, CommandHandlers } from "./command";
import { channels, type ParleyServer, type ParleySocket } from "./types";
import type { UserSockets } from "./user-sockets";

// Moderation takes effect on the target's live connections on EVERY node
// (user-sockets.ts): on this node's before the ack, even while Redis is down.
export function moderationCommands(io: ParleyServer, ctx: CommandContext & { services: Services; userSockets: UserSockets }): CommandHandlers {
  const { moderation } = ctx.services;
  const { userSockets } = ctx;
  const by = (socket: ParleySocket): UserRef => ({ id: socket.data.user.id, name: socket.data.user.name });

  const removeFromRoom = (socket: ParleySocket, roomId: string, target: UserRef, memberCount: number, reason: "kicked" | "banned") => {
    userSockets.leave(target.id, roomId);
    io.to(channels.user(target.id)).emit("room:removed", { roomId, reason, by: by(socket) });
    io.to(channels.room(roomId)).emit("room:member-left", { roomId, user: target, memberCount });
  };

  return {
    "room:kick": async (socket, input) => {
      const { target, memberCount } = await moderation.kick(socket.data.user, input);
      removeFromRoom(socket, input.roomId, target, memberCount, "kicked");
      return {};
    },

    "room:ban": async (socket, input) => {
      const { target, memberCount } = await moderation.ban(socket.data.user, input);
      removeFromRoom(socket, input.roomId, target, memberCount, "banned");
      return {};
    },

    "room:unban": async (socket, input) => {
      await moderation.unban(socket.data.user, input);
      return {};
    },

    "room:mute": async (socket, input) => {
      const { target, mutedUntil } = await moderation.mute(socket.data.user, input);
      const iso = mutedUntil?.toISOString() ?? null;
      io.to(channels.room(input.roomId)).emit("room:member-muted", { roomId: input.roomId, user: target, mutedUntil: iso });
      return { mutedUntil: iso };
    },

    "user:ban": async (socket, input) => {
      await moderation.banUser(socket.data.user, input);
      io.to(channels.user(input.userId)).emit("session:notice", { reason: "banned" });
      // A server-side disconnect: unlike a transport close, clients do not reconnect by themselves.
      userSockets.disconnect(input.userId);
      return {};
    },
  };
}
