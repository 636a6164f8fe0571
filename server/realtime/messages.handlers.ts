import type { Services } from "../domain/services";
import type { CommandContext, CommandHandlers } from "./command";
import { channels, type ParleyServer } from "./types";

export function messageCommands(io: ParleyServer, ctx: CommandContext & { services: Services }): CommandHandlers {
  const { messages } = ctx.services;
  return {
    "message:send": async (socket, input) => {
      // Resolves only after the message is committed: the ack is the receipt.
      const { message, created } = await messages.send(socket.data.user, input);
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
    },

    "message:edit": async (socket, input) => {
      const message = await messages.edit(socket.data.user, input);
      io.to(channels.room(message.roomId)).emit("message:updated", message);
      ctx.metrics?.eventsOut.inc({ event: "message:updated" });
      return { message };
    },

    "message:delete": async (socket, input) => {
      const message = await messages.delete(socket.data.user, input);
      io.to(channels.room(message.roomId)).emit("message:deleted", message);
      ctx.metrics?.eventsOut.inc({ event: "message:deleted" });
      return {};
    },

    "room:history": (socket, input) => messages.history(socket.data.user, input),

    "room:sync": (socket, input) => messages.sync(socket.data.user, input),
  };
}

/**
 * A send answered `unavailable` whose commit went through after all (the
 * connection died before the answer): nobody broadcast it, so do it when the
 * late-commit watch finds it (server/domain/late-commits.ts).
 */
export function broadcastLateCommits(io: ParleyServer, ctx: CommandContext & { services: Services }): void {
  ctx.services.lateCommits.onCommitted((message) => {
    io.to(channels.room(message.roomId)).emit("message:created", message);
    ctx.metrics?.eventsOut.inc({ event: "message:created" });
    ctx.logger.info({ messageId: message.id, roomId: message.roomId, userId: message.author.id }, "a send answered `unavailable` was committed after all: broadcast it");
  });
}
