import type { Services } from "../domain/services";
import { command, type CommandContext } from "./command";
import { channels, type ParleyServer, type ParleySocket } from "./types";

export function registerMessageHandlers(
  io: ParleyServer,
  socket: ParleySocket,
  ctx: CommandContext & { services: Services },
): void {
  const { messages } = ctx.services;
  const actor = () => socket.data.user;

  command(socket, ctx, "message:send", async (input) => {
    // Resolves only after the message is committed: the ack is the receipt.
    const { message, created } = await messages.send(actor(), input);
    // A retried send (same clientId) was broadcast the first time; don't repeat it.
    // The sender's own socket has the ack; its other tabs get the broadcast.
    if (created) {
      const channel = channels.room(message.roomId);
      socket.to(channel).emit("message:created", message);
      ctx.metrics?.eventsOut.inc({ event: "message:created" });
      // Sockets on this node that the broadcast reached (the sender excluded).
      ctx.metrics?.broadcastFanout.observe({ event: "message:created" }, Math.max(0, (io.of("/").adapter.rooms.get(channel)?.size ?? 1) - 1));
    }
    return { message };
  });

  command(socket, ctx, "message:edit", async (input) => {
    const message = await messages.edit(actor(), input);
    io.to(channels.room(message.roomId)).emit("message:updated", message);
    ctx.metrics?.eventsOut.inc({ event: "message:updated" });
    return { message };
  });

  command(socket, ctx, "message:delete", async (input) => {
    const message = await messages.delete(actor(), input);
    io.to(channels.room(message.roomId)).emit("message:deleted", message);
    ctx.metrics?.eventsOut.inc({ event: "message:deleted" });
    return {};
  });

  command(socket, ctx, "room:history", (input) => messages.history(actor(), input));

  command(socket, ctx, "room:sync", (input) => messages.sync(actor(), input));
}
