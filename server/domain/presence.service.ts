// Presence rules. A user is `online` while at least one of their connections
// (any tab, any device, any node) is active, `away` while every open
// connection reports itself idle or hidden, `offline` when none is left.
//
// What others see changes only when this overall status changes (a second tab,
// or a reload that reconnects within the grace period, sends nothing), and
// only to the rooms the user is a member of. Going offline waits
// `offlineGraceMs` so a page reload or a hop to another node does not flash
// offline/online at every room-mate; crashed nodes are noticed through their
// heartbeat by any surviving node. All state is in the PresenceStore; the only
// per-process state is this node's own connections, kept to re-register them
// after a store outage.
import {
  PRESENCE_ROOM_WIDE_MAX_MEMBERS,
  type PresenceChanged,
  type PresenceStatus,
  type RoomMember,
  type UserPresence,
} from "../../lib/contract";
import type { Logger } from "../logger";
import { AppError } from "./errors";
import type { ConnectionStatus, MemberRecord, PresenceConnection, PresenceSnapshot, PresenceStore } from "./ports";
import type { RoomCache } from "./room-cache";
import type { RoomsService } from "./rooms.service";
import type { Actor } from "./rooms.service";
import type { UsersService } from "./users.service";

export interface PresenceTimings {
  /** How often a node refreshes its heartbeat. */
  heartbeatMs: number;
  /** A node whose heartbeat is older than this is dead: its connections are removed. */
  nodeTtlMs: number;
  /** How often a node looks for dead nodes and for users whose grace period is over. */
  sweepMs: number;
  /** How long after their last connection closed a user is announced offline. */
  offlineGraceMs: number;
}

/** Worst case for a crashed node's users to show offline: nodeTtlMs + sweepMs (~16 s); the promise is 30 s. */
export const DEFAULT_PRESENCE_TIMINGS: PresenceTimings = {
  heartbeatMs: 5_000,
  nodeTtlMs: 15_000,
  sweepMs: 1_000,
  offlineGraceMs: 3_000,
};

/** The overall status of a user with these connections. */
export function aggregateStatus(connections: readonly ConnectionStatus[]): PresenceStatus {
  if (connections.length === 0) return "offline";
  return connections.includes("online") ? "online" : "away";
}

/** A status change to send, and who to send it to (never everyone). */
export interface PresenceChange extends PresenceChanged {
  /** The user's rooms whose every member is told (those of up to `roomWideMaxMembers`). */
  roomIds: string[];
  /** The user is also in a bigger room: tell the sockets that watch them. */
  toWatchers: boolean;
}

export interface PresenceServiceDeps {
  store: PresenceStore;
  /** Unique for this process's life (a restarted process must not inherit its predecessor's connections). */
  nodeId: string;
  rooms: Pick<RoomsService, "memberRoomIds" | "members">;
  /** Member counts (cached): rooms bigger than `roomWideMaxMembers` are told through watchers. */
  roomSizes: Pick<RoomCache<number>, "of">;
  /** Default PRESENCE_ROOM_WIDE_MAX_MEMBERS (tests lower it). */
  roomWideMaxMembers?: number;
  users: Pick<UsersService, "markLastSeen">;
  /** Sends a change to the given rooms and watchers. */
  publish: (change: PresenceChange) => void;
  /**
   * Told about every change this node announces (exactly one node announces
   * each), whether or not anyone is in a room to hear it: metrics hook.
   */
  onAnnounced?: (status: PresenceStatus) => void;
  logger: Pick<Logger, "debug" | "info" | "warn" | "error">;
  timings?: Partial<PresenceTimings>;
  now?: () => number;
}

export function createPresenceService(deps: PresenceServiceDeps) {
  const { store, nodeId, logger } = deps;
  const timings = { ...DEFAULT_PRESENCE_TIMINGS, ...deps.timings };
  const roomWideMaxMembers = deps.roomWideMaxMembers ?? PRESENCE_ROOM_WIDE_MAX_MEMBERS;
  const now = deps.now ?? Date.now;
  /** This node's open connections: the truth the store is re-synced to after an outage. */
  const local = new Map<string, PresenceConnection>();
  const inflight = new Set<Promise<unknown>>();
  /** Set when a store write failed: the next tick re-syncs this node's connections. */
  let dirty = true;
  let failing = false;
  let lastHeartbeatAt = Number.NEGATIVE_INFINITY;
  /** Since when heartbeats have succeeded without interruption (undefined while failing). */
  let healthySince: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let ticking: Promise<void> | undefined;

  const track = <T>(promise: Promise<T>): Promise<T> => {
    inflight.add(promise);
    void promise.then(
      () => inflight.delete(promise),
      () => inflight.delete(promise),
    );
    return promise;
  };

  const storeFailed = (err: unknown, what: string) => {
    dirty = true;
    healthySince = undefined;
    if (!failing) logger.warn({ err, nodeId }, `presence store unavailable (${what}); will re-sync when it returns`);
    failing = true;
  };

  /**
   * `roomIds`: the user's rooms when the caller knows them (a connection of
   * this node: its socket is in exactly those channels), which saves a
   * database query per connect; looked up otherwise.
   */
  async function announce(snapshot: PresenceSnapshot, status: PresenceStatus, lastSeenAt: Date | null, roomIds?: string[]): Promise<void> {
    const userId = snapshot.userId;
    deps.onAnnounced?.(status);
    const change = {
      userId,
      name: snapshot.name ?? "",
      status,
      lastSeenAt: status === "offline" && lastSeenAt ? lastSeenAt.toISOString() : null,
    };
    // The store already recorded the change: failures from here on (the
    // database is down) are logged, never retried as if nothing had happened.
    const [audience] = await Promise.all([
      roomIds ??
        deps.rooms.memberRoomIds({ id: userId }).catch((err: unknown) => {
          logger.warn({ err, userId, status }, "could not look up the rooms to tell about a presence change");
          return [];
        }),
      status === "offline" && lastSeenAt
        ? deps.users.markLastSeen(userId, lastSeenAt).catch((err: unknown) => {
            logger.warn({ err, userId }, "could not record last seen");
          })
        : undefined,
    ]);
    if (audience.length === 0) return;
    const sizes = await deps.roomSizes.of(audience).catch((err: unknown) => {
      // Unknown sizes: tell every room, as if all were small (costly in a storm, never wrong).
      logger.warn({ err, userId }, "could not look up room sizes for a presence change");
      return new Map<string, number>();
    });
    const roomWide = audience.filter((id) => (sizes.get(id) ?? 0) <= roomWideMaxMembers);
    deps.publish({ ...change, roomIds: roomWide, toWatchers: roomWide.length < audience.length });
  }

  /**
   * Brings what others were told in line with the user's connections. Online
   * and away are announced at once; offline only with `offlineAt` (the grace
   * period is over, decided by the sweep). Compare-and-set on the snapshot's
   * version, so two nodes settling the same user announce each change once.
   * (A connect or status change does not need it: its putConnection claims the
   * announcement itself, see announceClaimed.)
   */
  async function settle(first: PresenceSnapshot, offlineAt?: Date): Promise<PresenceStatus> {
    let snapshot = first;
    for (let attempt = 0; attempt < 8; attempt++) {
      const status = aggregateStatus(snapshot.connections);
      const announced = snapshot.announced ?? "offline";
      if (status === "offline") {
        // Nothing stored (already forgotten), or still in the grace period: nothing to do yet.
        if (!offlineAt || snapshot.version === 0) return announced;
      } else if (status === announced) {
        return status;
      }
      if (await store.announce(snapshot.userId, snapshot.version, status)) {
        if (status !== announced) await announce(snapshot, status, offlineAt ?? null);
        return status;
      }
      snapshot = await store.snapshot(snapshot.userId);
    }
    logger.warn({ userId: first.userId }, "presence kept changing while settling; leaving it to the next change");
    return aggregateStatus(snapshot.connections);
  }

  /** After a putConnection: announces the status it claimed, if any. Resolves to the user's overall status. */
  async function announceClaimed(put: PresenceSnapshot & { claimed: ConnectionStatus | null }, roomIds?: string[]): Promise<PresenceStatus> {
    if (put.claimed) await announce(put, put.claimed, null, roomIds);
    return aggregateStatus(put.connections);
  }

  async function resync(): Promise<void> {
    const conns = [...local.values()];
    const changed = await store.syncNode(nodeId, conns);
    // Also settle every local user: an announcement may have failed with the store down.
    const userIds = [...new Set([...changed, ...conns.map((c) => c.userId)])];
    const snapshots = await store.snapshots(userIds);
    await Promise.all(snapshots.map((s) => settle(s)));
    dirty = false;
    if (changed.length > 0) logger.info({ nodeId, changed: changed.length }, "presence re-synced");
  }

  async function tick(): Promise<void> {
    const started = now();
    try {
      if (dirty || started - lastHeartbeatAt >= timings.heartbeatMs) {
        const known = await store.heartbeat(nodeId);
        lastHeartbeatAt = started;
        // Unknown: first heartbeat, or this node was reaped (stalled, or cut off
        // from the store for longer than nodeTtlMs): register its connections again.
        if (!known || dirty) await resync();
        if (failing) logger.info({ nodeId }, "presence store is back");
        failing = false;
        healthySince ??= started;
      }
      // Reap only after heartbeating for a while ourselves: right after an
      // outage every node's heartbeat is stale, and the first one back must not
      // declare the others dead before they had a chance to heartbeat.
      if (healthySince !== undefined && started - healthySince >= 2 * timings.heartbeatMs) {
        for (const dead of await store.reapDeadNodes(timings.nodeTtlMs)) {
          logger.warn(
            { deadNode: dead.nodeId, lastHeartbeatAt: dead.lastHeartbeatAt, connections: dead.connections },
            "reaped the connections of a node that stopped heartbeating",
          );
        }
      }
      await settleDue(timings.offlineGraceMs);
    } catch (err) {
      storeFailed(err, "sweep");
    }
  }

  async function settleDue(graceMs: number): Promise<void> {
    for (;;) {
      const due = await store.claimDue(graceMs, 200);
      await Promise.all(
        due.map(async ({ userId, since }) => {
          try {
            await settle(await store.snapshot(userId), since);
          } catch (err) {
            // Claimed, so nobody else will: queue it again for the next sweep.
            await store.requeue(userId, since).catch(() => {});
            throw err;
          }
        }),
      );
      if (due.length < 200) return;
    }
  }

  /** The statuses others were told, now. */
  async function statusesOf(userIds: string[]): Promise<UserPresence[]> {
    if (userIds.length === 0) return [];
    try {
      const announced = await store.announcedStatuses(userIds);
      return userIds.map((userId, i) => ({ userId, status: announced[i] ?? "offline" }));
    } catch (err) {
      storeFailed(err, "statuses");
      throw new AppError("unavailable", "Presence is temporarily unavailable");
    }
  }

  /** Members with their presence now. */
  async function withStatus(members: MemberRecord[]): Promise<RoomMember[]> {
    const statuses = await statusesOf(members.map((m) => m.id));
    return members.map((m, i) => {
      const status = statuses[i]!.status;
      return {
        id: m.id,
        name: m.name,
        role: m.role,
        status,
        lastSeenAt: status === "offline" ? (m.lastSeenAt?.toISOString() ?? null) : null,
        mutedUntil: m.mutedUntil && m.mutedUntil.getTime() > Date.now() ? m.mutedUntil.toISOString() : null,
      };
    });
  }

  const schedule = () => {
    if (!running) return;
    timer = setTimeout(() => {
      ticking = tick().finally(schedule);
    }, timings.sweepMs);
    timer.unref?.();
  };

  return {
    nodeId,
    timings,

    /**
     * A connection opened on this node (`roomIds`: its user's rooms, when known).
     * Never rejects: a failure is logged and repaired by the next tick.
     */
    connected(conn: PresenceConnection, roomIds?: string[]): Promise<void> {
      local.set(conn.connId, conn);
      return track(
        store
          .putConnection(nodeId, conn)
          .then((put) => announceClaimed(put, roomIds))
          .then(
            () => {},
            (err: unknown) => storeFailed(err, "connect"),
          ),
      );
    },

    /** A connection of this node closed. */
    disconnected(connId: string): Promise<void> {
      const conn = local.get(connId);
      if (!conn) return Promise.resolve();
      local.delete(connId);
      return track(
        store
          .removeConnection(nodeId, connId, conn.userId)
          .then((snapshot) => settle(snapshot))
          .then(
            () => {},
            (err: unknown) => storeFailed(err, "disconnect"),
          ),
      );
    },

    /** A connection reports itself active or idle. Resolves to the user's overall status. */
    async setStatus(connId: string, status: ConnectionStatus, roomIds?: string[]): Promise<PresenceStatus> {
      const conn = local.get(connId);
      if (!conn) throw new AppError("not_found", "Unknown connection");
      const updated = { ...conn, status };
      local.set(connId, updated);
      try {
        return await track(store.putConnection(nodeId, updated).then((put) => announceClaimed(put, roomIds)));
      } catch (err) {
        storeFailed(err, "status");
        throw new AppError("unavailable", "Presence is temporarily unavailable");
      }
    },

    /** A page of the members of a room the actor belongs to, each with their presence (see RoomsService.members). */
    async roomMembers(
      actor: Actor,
      roomId: string,
      page: { after?: string; limit: number; search?: string },
    ): Promise<{ members: RoomMember[]; next: string | null }> {
      const { members, next } = await deps.rooms.members(actor, roomId, page);
      return { members: await withStatus(members), next };
    },

    statusesOf,

    /** One heartbeat/reap/offline sweep, now (the timer runs it every sweepMs). */
    tick: () => (ticking = tick()),

    /** Registers the node and starts the sweep. */
    start(): void {
      if (running) return;
      running = true;
      ticking = tick().finally(schedule);
    },

    /**
     * Graceful stop, after the node's sockets were closed: removes the node
     * from the store. Other nodes announce its users offline after the grace
     * period unless they reconnected elsewhere; alone (embedded mode), it
     * announces and records them itself, since nobody else will.
     */
    async stop(): Promise<void> {
      running = false;
      clearTimeout(timer);
      await ticking?.catch(() => {});
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
      try {
        await store.syncNode(nodeId, [], { leave: true });
        local.clear();
        if (store.scope === "process") await settleDue(0);
      } catch (err) {
        logger.warn({ err, nodeId }, "could not remove this node from presence; others will reap it");
      }
    },
  };
}

export type PresenceService = ReturnType<typeof createPresenceService>;
