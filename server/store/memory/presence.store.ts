// Presence for one process (embedded mode): the same semantics as the Redis
// store, in Maps. Every operation is synchronous, hence atomic. `now` is
// injectable so unit tests can drive heartbeats and expiry with fake timers.
import type { PresenceStatus } from "../../../lib/contract";
import type { ConnectionStatus, PresenceConnection, PresenceSnapshot, PresenceStore } from "../../domain/ports";
import { aggregateStatus } from "../../domain/presence.service";

interface UserEntry {
  name: string | null;
  version: number;
  announced: PresenceStatus | null;
  connections: Map<string, ConnectionStatus>;
}

export function createMemoryPresenceStore(options: { now?: () => number } = {}): PresenceStore {
  const now = options.now ?? Date.now;
  const users = new Map<string, UserEntry>();
  /** nodeId -> last heartbeat (epoch ms). */
  const nodes = new Map<string, number>();
  /** nodeId -> connId -> userId. */
  const nodeConnections = new Map<string, Map<string, string>>();
  /** userId -> when their last connection went (epoch ms). */
  const pending = new Map<string, number>();
  let seq = 0;

  const snapshotOf = (userId: string): PresenceSnapshot => {
    const entry = users.get(userId);
    if (!entry) return { userId, version: 0, name: null, connections: [], announced: null };
    return {
      userId,
      version: entry.version,
      name: entry.name,
      connections: [...entry.connections.values()],
      announced: entry.announced,
    };
  };

  const put = (nodeId: string, conn: PresenceConnection): boolean => {
    let byConn = nodeConnections.get(nodeId);
    if (!byConn) nodeConnections.set(nodeId, (byConn = new Map()));
    byConn.set(conn.connId, conn.userId);
    let entry = users.get(conn.userId);
    if (!entry) users.set(conn.userId, (entry = { name: null, version: 0, announced: null, connections: new Map() }));
    entry.name = conn.name;
    pending.delete(conn.userId);
    if (entry.connections.get(conn.connId) === conn.status) return false;
    entry.connections.set(conn.connId, conn.status);
    entry.version = ++seq;
    return true;
  };

  const remove = (nodeId: string, connId: string, userId: string, at: number): boolean => {
    nodeConnections.get(nodeId)?.delete(connId);
    const entry = users.get(userId);
    if (!entry?.connections.delete(connId)) return false;
    entry.version = ++seq;
    if (entry.connections.size === 0) pending.set(userId, at);
    return true;
  };

  return {
    scope: "process",

    async putConnection(nodeId, conn) {
      put(nodeId, conn);
      const snapshot = snapshotOf(conn.userId);
      // Not offline: the user has at least the connection just put.
      const status = aggregateStatus(snapshot.connections) as ConnectionStatus;
      if (status === (snapshot.announced ?? "offline")) return { ...snapshot, claimed: null };
      users.get(conn.userId)!.announced = status;
      return { ...snapshot, announced: status, claimed: status };
    },

    async removeConnection(nodeId, connId, userId) {
      remove(nodeId, connId, userId, now());
      return snapshotOf(userId);
    },

    async syncNode(nodeId, conns, syncOptions = {}) {
      const changed = new Set<string>();
      const wanted = new Set(conns.map((c) => c.connId));
      for (const [connId, userId] of [...(nodeConnections.get(nodeId) ?? [])]) {
        if (!wanted.has(connId) && remove(nodeId, connId, userId, now())) changed.add(userId);
      }
      for (const conn of conns) if (put(nodeId, conn)) changed.add(conn.userId);
      if (syncOptions.leave) {
        nodes.delete(nodeId);
        nodeConnections.delete(nodeId);
      } else {
        nodes.set(nodeId, now());
      }
      return [...changed];
    },

    snapshot: async (userId) => snapshotOf(userId),

    snapshots: async (userIds) => userIds.map(snapshotOf),

    announcedStatuses: async (userIds) => userIds.map((userId) => users.get(userId)?.announced ?? null),

    async announce(userId, version, status) {
      const entry = users.get(userId);
      if ((entry?.version ?? 0) !== version) return false;
      const hasConnections = (entry?.connections.size ?? 0) > 0;
      if (status === "offline") {
        if (hasConnections) return false;
        users.delete(userId);
        return true;
      }
      if (!entry || !hasConnections) return false;
      entry.announced = status;
      return true;
    },

    async heartbeat(nodeId) {
      const known = nodes.has(nodeId);
      nodes.set(nodeId, now());
      return known;
    },

    async reapDeadNodes(ttlMs) {
      const reaped: { nodeId: string; lastHeartbeatAt: Date; connections: number }[] = [];
      for (const [nodeId, beat] of [...nodes]) {
        if (beat > now() - ttlMs) continue;
        nodes.delete(nodeId);
        const byConn = nodeConnections.get(nodeId) ?? new Map<string, string>();
        nodeConnections.delete(nodeId);
        for (const [connId, userId] of byConn) remove(nodeId, connId, userId, beat);
        reaped.push({ nodeId, lastHeartbeatAt: new Date(beat), connections: byConn.size });
      }
      return reaped;
    },

    async claimDue(graceMs, limit) {
      const due: { userId: string; since: Date }[] = [];
      for (const [userId, since] of pending) {
        if (due.length >= limit) break;
        if (since > now() - graceMs) continue;
        pending.delete(userId);
        due.push({ userId, since: new Date(since) });
      }
      return due;
    },

    async requeue(userId, since) {
      pending.set(userId, since.getTime());
    },
  };
}
