import { ONLINE_COUNT_TTL_MS, toPresenceBatch, type PresenceChanged } from "../../lib/contract";
import type { PresenceStore } from "../domain/ports";
import { createPresenceService, type PresenceTimings } from "../domain/presence.service";
import { AppError } from "../domain/errors";
import { createRoomCache } from "../domain/room-cache";
import { createTokenBucket } from "../domain/token-bucket";
import type { Services } from "../domain/services";
import type { CommandContext, CommandHandlers } from "./command";
import { channels, memberRoomsOf, watchPresence, type ParleyServer, type ParleySocket } from "./types";

/** What one coalesced send looks like on the wire: a lone change as itself, several as one batch. */
function sendPresence(to: ReturnType<ParleyServer["to"]>, changes: PresenceChanged[]): void {
  if (changes.length === 1) to.emit("presence:changed", changes[0]!);
  else to.emit("presence:batch", toPresenceBatch(changes));
}

/** Plain counters (no metrics library) that tests and benchmarks read. */
export interface RealtimeCounters {
  /** `presence:changed` broadcasts this node sent (one per status change, whatever the number of rooms). */
  presenceBroadcasts: number;
  /** Rooms those broadcasts were addressed to, summed. */
  presenceRoomTargets: number;
  /** `presence:changed` broadcasts this node sent to the watchers of a user in a big room. */
  presenceWatchBroadcasts: number;
  /** `typing:changed` broadcasts this node sent. */
  typingBroadcasts: number;
}

/**
 * Presence over Socket.IO: every connection is registered with the presence
 * service; status changes go to the user's rooms only (one broadcast to all of
 * them: a socket sharing several rooms with the user gets it once). Room-mates
 * learn everyone's status in one `room:members` call when they open a room,
 * not one event per member.
 *
 * Rooms of more than PRESENCE_ROOM_WIDE_MAX_MEMBERS members are not told:
 * there, a socket hears the changes of the members it watches
 * (`presence:watch`, the rows it shows), through one channel per watched user.
 * Telling everyone in a room of N is N^2 changes for N arrivals, however
 * coalesced: 10 million for 10,000 clients in two rooms of 5,000 (bench).
 */
export function createPresenceRealtime(
  io: ParleyServer,
  ctx: CommandContext & {
    services: Services;
    store: PresenceStore;
    nodeId: string;
    timings?: Partial<PresenceTimings>;
    /** See PRESENCE_ROOM_WIDE_MAX_MEMBERS (tests lower it). */
    roomWideMaxMembers?: number;
    /** There are other nodes to tell (a Redis adapter). */
    crossNode: boolean;
    counters: RealtimeCounters;
  },
) {
  const { counters, logger } = ctx;
  const roomSizes = createRoomCache((roomIds) => ctx.services.rooms.memberCounts(roomIds), 0);
  const presence = createPresenceService({
    store: ctx.store,
    nodeId: ctx.nodeId,
    rooms: ctx.services.rooms,
    users: ctx.services.users,
    logger,
    timings: ctx.timings,
    roomSizes,
    roomWideMaxMembers: ctx.roomWideMaxMembers,
    onAnnounced: (status) => ctx.metrics?.presenceChanges.inc({ status }),
    publish: ({ roomIds, toWatchers, ...event }) => {
      if (roomIds.length > 0) batcher.add(roomIds, event);
      if (toWatchers) {
        counters.presenceWatchBroadcasts += 1;
        tellWatchersHere(event);
        if (ctx.crossNode) io.serverSideEmit("presence-watched", event);
      }
    },
  });

  // Watchers are told through the same coalescing as rooms, per socket: in a
  // storm a watcher of 20 members would otherwise get 20 packets, each one
  // write (measured: coalescing per room is what made room-wide presence
  // cheaper for the server than uncoalesced watching, see README "Big rooms").
  const watcherBatcher = createPresenceBatcher((socketIds, changes) => sendPresence(io.local.to(socketIds), changes), PRESENCE_BATCH_MS);
  const tellWatchersHere = (event: PresenceChanged) => {
    const watchers = io.sockets.adapter.rooms.get(channels.presence(event.userId));
    if (watchers && watchers.size > 0) watcherBatcher.add([...watchers], event);
  };
  if (ctx.crossNode) io.on("presence-watched", tellWatchersHere);

  // Coalescing: when 1,000 people open a room at once, each arrival would
  // otherwise be one send to every member: O(N^2) packets (the benchmark's
  // connect storm). A lone change goes out at once as a plain `presence:changed`;
  // a burst as `presence:batch` packets (user ids by status: a third of the
  // bytes), at most two per room per window, a window growing with the room's
  // sockets on this node (see createPresenceBatcher and presenceWindowMs).
  const batcher = createPresenceBatcher(
    (roomIds, changes) => {
      counters.presenceBroadcasts += 1;
      counters.presenceRoomTargets += roomIds.length;
      sendPresence(io.to(roomIds.map(channels.room)), changes);
    },
    (roomId) => presenceWindowMs(io.sockets.adapter.rooms.get(channels.room(roomId))?.size ?? 0),
  );

  /**
   * Member ids of the rooms being watched through (cached: a watch must not
   * cost a query). Kept up to date when the room's members change
   * (membersChanged): the browser watches a joiner as soon as their row
   * appears, and a stale roster would drop that watch until the cache expired.
   */
  const rosters = createRoomCache((roomIds) => ctx.services.rooms.memberIdsOf(roomIds), new Set<string>());

  /**
   * Members online or away per room, for the header of a big room (whose
   * members do not hear each other's changes): counted from every member's
   * status at most every ONLINE_COUNT_TTL_MS per node, however many ask.
   */
  const onlineCounts = createRoomCache(
    async (roomIds) => {
      const rostersOf = await rosters.of(roomIds);
      const counts = new Map<string, number>();
      for (const roomId of roomIds) {
        const statuses = await presence.statusesOf([...(rostersOf.get(roomId) ?? [])]);
        counts.set(roomId, statuses.filter((s) => s.status !== "offline").length);
      }
      return counts;
    },
    0,
    { ttlMs: ONLINE_COUNT_TTL_MS },
  );

  /** The actor's membership of the room: its socket is in the room's channel while, and only while, it is a member. */
  const requireMember = async (socket: ParleySocket, roomId: string) => {
    if (!socket.rooms.has(channels.room(roomId))) await ctx.services.rooms.requireMembership(socket.data.user, roomId);
  };

  const commands: CommandHandlers = {
    "presence:set": async (socket, { status }) => ({
      status: await presence.setStatus(socket.id, status, memberRoomsOf(socket)),
    }),
    "room:members": (socket, { roomId, after, limit, search }) => presence.roomMembers(socket.data.user, roomId, { after, limit, search }),
    "room:online": async (socket, { roomId }) => {
      await requireMember(socket, roomId);
      return { online: (await onlineCounts.of([roomId])).get(roomId)! };
    },
    "presence:watch": async (socket, { roomId, userIds }) => {
      // A watch costs a Redis read and channel joins: a client that floods them is refused.
      if (!(socket.data.watchBucket ??= createTokenBucket(PRESENCE_WATCH_RATE_LIMIT)).take()) {
        throw new AppError("rate_limited", "Too many presence watches. Try again in a second.");
      }
      // Commands run concurrently: of two watches in flight, the later one wins.
      const seq = (socket.data.watchSeq ?? 0) + 1;
      socket.data.watchSeq = seq;
      // The watcher is a member (the database answers only the refusals, with their reason).
      await requireMember(socket, roomId);
      // Only members of that room can be watched through it.
      let watched: string[] = [];
      if (userIds.length > 0) {
        const members = (await rosters.of([roomId])).get(roomId)!;
        watched = [...new Set(userIds)].filter((id) => members.has(id));
      }
      // Watching before reading: a change between the two arrives as an event
      // (the client keeps whichever is newer), never falls between them.
      if (socket.data.watchSeq === seq) watchPresence(socket, roomId, watched);
      return { statuses: await presence.statusesOf(watched) };
    },
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

    /**
     * `userId` joined or left the room (told on every node). Its cached member
     * ids follow at once, without a query: a big room with members coming and
     * going would otherwise be reloaded, 10,000 ids, at every change. (A copy:
     * the value may be the cache's shared empty set.) Its size is counted
     * again at the next ask, one cheap query. The online count is left to
     * expire: counting again is what it costs to know (see onlineCounts).
     */
    membersChanged(roomId: string, userId: string, joined: boolean): void {
      rosters.update(roomId, (ids) => {
        const next = new Set(ids);
        if (joined) next.add(userId);
        else next.delete(userId);
        return next;
      });
      roomSizes.forget(roomId);
    },

    start: () => presence.start(),
    stop: async () => {
      await presence.stop();
      batcher.flush(); // the offline announcements of a graceful stop
      watcherBatcher.flush();
    },
  };
}

/** Per socket: bursts of 10 watches, then 4 a second (the member panel sends at most one per 300 ms). */
export const PRESENCE_WATCH_RATE_LIMIT = { capacity: 10, refillPerSecond: 4 } as const;

/** The shortest presence window: a room hears about presence changes at most this often (twice, at the edges of a window). */
export const PRESENCE_BATCH_MS = 1_000;
/** Windows grow with the room: this much per socket of the room on this node... */
export const PRESENCE_BATCH_MS_PER_SOCKET = 4;
/** ...up to this. */
export const PRESENCE_BATCH_MAX_MS = 10_000;

/**
 * How long a room with this many sockets on this node holds presence changes.
 * In a storm a room costs one write per socket per window, so a window
 * proportional to the room bounds that at ~250 writes a second per room: 1 s up
 * to 250 sockets, 4 s at 1,000, 10 s from 2,500. What it costs: in a big room,
 * during a burst, a status shows up to that late. Measured here (bench, 5,000
 * arrivals into ten rooms of 1,000): the fixed 1 s window wrote 62,000 packets
 * and the connect rate was 0.44x the bare server's; 4 s, 22,000 and 0.61x.
 */
export function presenceWindowMs(roomSockets: number): number {
  return Math.min(PRESENCE_BATCH_MAX_MS, Math.max(PRESENCE_BATCH_MS, roomSockets * PRESENCE_BATCH_MS_PER_SOCKET));
}

/**
 * Throttles presence changes per room. A change goes out at once to those of
 * the user's rooms that heard nothing in their current window (one broadcast:
 * a socket in several of them gets it once); for the others it is held and
 * sent with that room's other held changes when the room's window ends, the
 * latest change per user winning. So a lone change costs no latency, and a
 * connect storm costs each room at most two packets per window: each packet is
 * one write per member socket, and on this hardware the per-write cost, more
 * than the bytes, is what a storm of arrivals spends its CPU on.
 *
 * Why per room and not per audience (the user's whole set of rooms): users
 * rarely share the exact same rooms, so with one #general and many team rooms
 * every arrival was its own audience and #general heard one packet per arrival.
 * The price: a socket in two throttled rooms of a user hears that change twice.
 *
 * `windowFor`: a room's window length in ms, asked when its window opens.
 */
export function createPresenceBatcher(
  send: (roomIds: string[], changes: PresenceChanged[]) => void,
  windowFor: number | ((roomId: string) => number) = PRESENCE_BATCH_MS,
) {
  const lengthOf = typeof windowFor === "number" ? () => windowFor : windowFor;
  /** Rooms in a window (they were sent something), each with the changes held for it (user id -> change). */
  const throttled = new Map<string, { held: Map<string, PresenceChanged>; timer: NodeJS.Timeout }>();

  const open = (roomId: string) => {
    // Unref'd: a window must not hold a stopping process open for up to 10 s (stop flushes it).
    const timer = setTimeout(() => close(roomId), lengthOf(roomId)).unref();
    throttled.set(roomId, { held: new Map(), timer });
  };
  const close = (roomId: string) => {
    const ended = throttled.get(roomId);
    throttled.delete(roomId);
    if (!ended || ended.held.size === 0) return;
    // Whoever was just sent to stays throttled for one more window.
    open(roomId);
    send([roomId], [...ended.held.values()]);
  };

  return {
    add(roomIds: string[], change: PresenceChanged) {
      const quiet: string[] = [];
      for (const roomId of roomIds) {
        const current = throttled.get(roomId);
        if (current) current.held.set(change.userId, change);
        else {
          quiet.push(roomId);
          open(roomId);
        }
      }
      if (quiet.length > 0) send(quiet, [change]);
    },
    /** Sends whatever is held now (shutdown). */
    flush() {
      const windows = [...throttled];
      throttled.clear();
      for (const [roomId, { held, timer }] of windows) {
        clearTimeout(timer);
        if (held.size > 0) send([roomId], [...held.values()]);
      }
    },
  };
}
