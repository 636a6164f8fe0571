import type { Services } from "../domain/services";
import { command, type CommandContext } from "./command";
import { channels, type ParleyServer, type ParleySocket } from "./types";

export function registerRoomHandlers(
  io: ParleyServer,
  socket: ParleySocket,
  ctx: CommandContext & { services: Services },
): void {
  const { rooms } = ctx.services;
  const actor = () => socket.data.user;

  command(socket, ctx, "room:list", async () => ({ rooms: await rooms.list(actor()) }));

  command(socket, ctx, "room:create", async (input) => {
    const room = await rooms.create(actor(), input);
    // Every socket of the creator (any node) now belongs to the room.
    io.in(channels.user(actor().id)).socketsJoin(channels.room(room.id));
    if (room.isPublic) socket.broadcast.emit("room:created", { ...room, membership: null });
    return { room };
  });

  command(socket, ctx, "room:join", async ({ roomId }) => {
    await ctx.services.moderation.assertNotBannedFromRoom(actor(), roomId);
    const { room, joinedNow } = await rooms.join(actor(), roomId);
    io.in(channels.user(actor().id)).socketsJoin(channels.room(roomId));
    if (joinedNow) {
      const user = { id: actor().id, name: actor().name };
      socket.to(channels.room(roomId)).emit("room:member-joined", { roomId, user, memberCount: room.memberCount });
    }
    return { room, lastSeq: room.lastSeq };
  });

  command(socket, ctx, "room:leave", async ({ roomId }) => {
    const { memberCount } = await rooms.leave(actor(), roomId);
    io.in(channels.user(actor().id)).socketsLeave(channels.room(roomId));
    const user = { id: actor().id, name: actor().name };
    // The room's members, and the leaver's own other tabs (no longer in the room).
    io.to(channels.room(roomId)).to(channels.user(actor().id)).emit("room:member-left", { roomId, user, memberCount });
    return {};
  });

  command(socket, ctx, "room:read", async ({ roomId, seq }) => ({
    lastReadSeq: await rooms.markRead(actor(), roomId, seq),
  }));
}
