import type { Services } from "../domain/services";
import { command, type CommandContext } from "./command";
import { channels, type ParleyServer, type ParleySocket } from "./types";

// Moderation takes effect on the target's live connections on EVERY node:
// `io.in(channel).socketsLeave / disconnectSockets` go through the adapter.
export function registerModerationHandlers(
  io: ParleyServer,
  socket: ParleySocket,
  ctx: CommandContext & { services: Services },
): void {
  const { moderation } = ctx.services;
  const actor = () => socket.data.user;
  const by = () => ({ id: actor().id, name: actor().name });

  const removeFromRoom = (roomId: string, target: { id: string; name: string }, memberCount: number, reason: "kicked" | "banned") => {
    io.in(channels.user(target.id)).socketsLeave(channels.room(roomId));
    io.to(channels.user(target.id)).emit("room:removed", { roomId, reason, by: by() });
    io.to(channels.room(roomId)).emit("room:member-left", { roomId, user: target, memberCount });
  };

  command(socket, ctx, "room:kick", async (input) => {
    const { target, memberCount } = await moderation.kick(actor(), input);
    removeFromRoom(input.roomId, target, memberCount, "kicked");
    return {};
  });

  command(socket, ctx, "room:ban", async (input) => {
    const { target, memberCount } = await moderation.ban(actor(), input);
    removeFromRoom(input.roomId, target, memberCount, "banned");
    return {};
  });

  command(socket, ctx, "room:unban", async (input) => {
    await moderation.unban(actor(), input);
    return {};
  });

  command(socket, ctx, "room:mute", async (input) => {
    const { target, mutedUntil } = await moderation.mute(actor(), input);
    const iso = mutedUntil?.toISOString() ?? null;
    io.to(channels.room(input.roomId)).emit("room:member-muted", { roomId: input.roomId, user: target, mutedUntil: iso });
    return { mutedUntil: iso };
  });

  command(socket, ctx, "user:ban", async (input) => {
    await moderation.banUser(actor(), input);
    io.to(channels.user(input.userId)).emit("session:notice", { reason: "banned" });
    // A server-side disconnect: unlike a transport close, clients do not reconnect by themselves.
    io.in(channels.user(input.userId)).disconnectSockets(true);
    return {};
  });
}
