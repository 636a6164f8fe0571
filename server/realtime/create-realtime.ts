import { randomUUID } from "node:crypto";
import type { Server as HttpServer } from "node:http";
import { hostname } from "node:os";
import { Server } from "socket.io";
import { MAX_SOCKET_PAYLOAD_BYTES } from "../../lib/contract";
import type { PresenceStore } from "../domain/ports";
import type { PresenceTimings } from "../domain/presence.service";
import type { Services } from "../domain/services";
import type { TypingTimings } from "../domain/typing.service";
import type { Logger } from "../logger";
import { authMiddleware } from "./auth.middleware";
import type { Metrics } from "../observability/metrics";
import { createDispatcher } from "./command";
import { broadcastLateCommits, messageCommands } from "./messages.handlers";
import { moderationCommands } from "./moderation.handlers";
import { createPresenceRealtime, type RealtimeCounters } from "./presence.handlers";
import { roomCommands } from "./rooms.handlers";
import { sessionCommands, startSessionExpiry } from "./session.handlers";
import { createTypingRealtime } from "./typing.handlers";
import { userSocketsEverywhere } from "./user-sockets";
import { channels, type ParleyServer, type ParleySocket } from "./types";

export interface RealtimeDeps {
  services: Services;
  logger: Logger;
  /** A Socket.IO adapter (the Redis adapter in scaled mode); in-memory when absent. */
  adapter?: NonNullable<ConstructorParameters<typeof Server>[1]>["adapter"];
  /** Who is connected where: in-memory (one process) or Redis (shared by every node). */
  presence: PresenceStore;
  /** This node's name (NODE_ID); a per-process suffix is added for presence. */
  nodeId?: string;
  /** Prometheus metrics; none when absent (tests). */
  metrics?: Metrics;
  /** Whether the Redis adapter is connected (for the metric). */
  redisUp?: () => boolean;
  /** Presence in rooms of more members is by watching (default PRESENCE_ROOM_WIDE_MAX_MEMBERS; tests lower it). */
  presenceRoomWideMaxMembers?: number;
  /** Shorter presence/typing timings, for tests. */
  timings?: { presence?: Partial<PresenceTimings>; typing?: Partial<TypingTimings> };
}

export interface Realtime {
  io: ParleyServer;
  /**
   * Graceful stop: tells every local client why and disconnects it (they
   * reconnect, through the load balancer, to another node), then waits for
   * in-flight message writes to commit.
   */
  close(): Promise<void>;
  /** Asks every client of this node to re-sync its rooms (after a cross-node outage). */
  requestResync(): void;
  /** Live counters of this node's presence and typing broadcasts. */
  counters: Readonly<RealtimeCounters>;
}

/**
 * Wires Socket.IO onto an HTTP server with the given services. No Next.js in
 * here, so tests start it on port 0 with real clients.
 */
export function createRealtime(httpServer: HttpServer, deps: RealtimeDeps): Realtime {
  const { services, logger } = deps;
  const io: ParleyServer = new Server(httpServer, {
    serveClient: false,
    maxHttpBufferSize: MAX_SOCKET_PAYLOAD_BYTES,
    pingInterval: 20_000,
    pingTimeout: 20_000,
    ...(deps.adapter ? { adapter: deps.adapter } : {}),
  });

  io.use(authMiddleware(services.tokens));
  io.use(async (socket, next) => {
    try {
      // One query per handshake: the user's rooms, and whether the account was
      // suspended (refused even with a token that has not expired yet).
      const { roomIds, suspended } = await services.users.connectionProfile(socket.data.user.id);
      if (suspended) {
        next(Object.assign(new Error("banned"), { data: { code: "banned", message: "This account has been suspended" } }));
        return;
      }
      socket.data.memberRoomIds = roomIds;
      next();
    } catch (err) {
      logger.warn({ err, userId: socket.data.user.id }, "could not load the rooms of a connecting socket");
      next(Object.assign(new Error("unavailable"), { data: { code: "unavailable", message: "Try again shortly" } }));
    }
  });

  // Other nodes to tell (a Redis adapter); without one (embedded mode) everything is local.
  const crossNode = Boolean(deps.adapter);
  const counters: RealtimeCounters = { presenceBroadcasts: 0, presenceRoomTargets: 0, presenceWatchBroadcasts: 0, typingBroadcasts: 0 };
  const presence = createPresenceRealtime(io, {
    logger,
    services,
    metrics: deps.metrics,
    store: deps.presence,
    // Unique per process life: a restarted node must not inherit (or keep alive) its predecessor's connections.
    nodeId: `${deps.nodeId ?? `${hostname()}-${process.pid}`}:${randomUUID().slice(0, 8)}`,
    timings: deps.timings?.presence,
    roomWideMaxMembers: deps.presenceRoomWideMaxMembers,
    crossNode,
    counters,
  });
  const typing = createTypingRealtime(io, { logger, counters, timings: deps.timings?.typing });
  presence.start();
  const sessions = startSessionExpiry(io);
  // Every handler is built once per server; sockets share them (see command.ts).
  const ctx = {
    logger,
    services,
    tokens: services.tokens,
    metrics: deps.metrics,
    userSockets: userSocketsEverywhere(io, crossNode, (roomId, userId, joined) => presence.membersChanged(roomId, userId, joined)),
  };
  broadcastLateCommits(io, ctx);
  const dispatch = createDispatcher(
    ctx,
    {
      ...sessionCommands(ctx),
      ...roomCommands(io, ctx),
      ...moderationCommands(io, ctx),
      ...messageCommands(io, ctx),
      ...presence.commands,
    },
    typing.signals,
  );
  function onDisconnect(this: ParleySocket, reason: string): void {
    presence.disconnected(this);
    typing.disconnected(this);
    logger.debug({ socketId: this.id, userId: this.data.user.id, reason }, "socket disconnected");
  }

  io.on("connection", (socket) => {
    const { user } = socket.data;
    const roomIds = socket.data.memberRoomIds ?? [];
    delete socket.data.memberRoomIds;
    // Listeners are registered synchronously, before any await: no event can
    // arrive before its handler exists.
    socket.onAny(dispatch);
    socket.on("disconnect", onDisconnect);
    // Joined before the client sees "connect": a room:sync it sends on connect
    // can't race a broadcast it would otherwise miss.
    void socket.join([channels.user(user.id), ...roomIds.map(channels.room)]);
    presence.connected(socket, roomIds);
    logger.debug({ socketId: socket.id, userId: user.id }, "socket connected");
  });

  deps.metrics?.setCollectors({
    sockets: () => io.engine.clientsCount,
    joinedRooms: () => {
      // The adapter's own socket -> rooms map: socket.rooms would copy a Set per socket.
      let n = 0;
      for (const rooms of io.of("/").adapter.sids.values()) n += rooms.size;
      return n;
    },
    redisUp: () => (deps.adapter ? (deps.redisUp?.() ? 1 : 0) : -1),
    writeQueueDepth: () => services.writeQueue.depth,
  });

  return {
    io,
    requestResync: () => io.local.emit("sync:required"),
    counters,
    async close() {
      for (const socket of io.of("/").sockets.values()) {
        socket.emit("session:notice", { reason: "server_shutdown" });
        // A transport close (after the notice is flushed), so that clients
        // reconnect by themselves, through the load balancer, to another node.
        socket.conn.close();
      }
      typing.close();
      sessions.stop();
      await services.writeQueue.drain();
      // Sends answered `unavailable` in the last second: broadcast those that were
      // committed now (the adapter still reaches the other nodes), not never.
      await services.lateCommits.settleNow();
      services.lateCommits.close();
      // After the sockets closed: their users go offline after the grace period unless they reconnect elsewhere.
      await presence.stop();
      // Closes the engine (and the adapter) but not the HTTP server, which the caller owns.
      io.engine.close();
      await io.of("/").adapter.close();
    },
  };
}
