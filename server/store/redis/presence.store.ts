// Presence shared by every node, in Redis. Each operation is one Lua script,
// so it is atomic; Redis's own clock (TIME) is the only clock, so clock skew
// between nodes does not matter. Keys, under `<prefix>:presence`:
//   u:<userId>   hash: n (name), v (version), a (announced status), c:<connId> (connection status)
//   n:<nodeId>   hash: connId -> userId, the connections of one node
//   nodes        sorted set: nodeId scored by its last heartbeat (ms)
//   pending      sorted set: userId scored by when their last connection went (ms)
//   seq          counter behind every version
// The scripts touch keys they compute, so this needs a single Redis (with
// replicas or Sentinel if you like), not Redis Cluster.
import { createHash } from "node:crypto";
import type { ChainableCommander, Redis } from "ioredis";
import type { PresenceStatus } from "../../../lib/contract";
import type { ConnectionStatus, PresenceConnection, PresenceSnapshot, PresenceStore } from "../../domain/ports";

const PRELUDE = `
local kp = ARGV[1]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function fmt(n) return string.format('%.0f', n) end
local function has_conns(ukey)
  for _, f in ipairs(redis.call('HKEYS', ukey)) do
    if string.sub(f, 1, 2) == 'c:' then return true end
  end
  return false
end
-- Returns 1 if the user's connections changed.
local function put(nodeId, connId, userId, status, name)
  local ukey = kp .. ':u:' .. userId
  redis.call('HSET', kp .. ':n:' .. nodeId, connId, userId)
  redis.call('ZREM', kp .. ':pending', userId)
  redis.call('HSET', ukey, 'n', name)
  if redis.call('HGET', ukey, 'c:' .. connId) == status then return 0 end
  redis.call('HSET', ukey, 'c:' .. connId, status, 'v', redis.call('INCR', kp .. ':seq'))
  return 1
end
local function remove(nodeId, connId, userId, at)
  redis.call('HDEL', kp .. ':n:' .. nodeId, connId)
  local ukey = kp .. ':u:' .. userId
  if redis.call('HDEL', ukey, 'c:' .. connId) == 0 then return 0 end
  redis.call('HSET', ukey, 'v', redis.call('INCR', kp .. ':seq'))
  if not has_conns(ukey) then redis.call('ZADD', kp .. ':pending', fmt(at), userId) end
  return 1
end
`;

const SCRIPTS = {
  // ARGV: kp, nodeId, connId, userId, status, name. Returns {claimed status or '', the user's hash}.
  // The overall status is aggregateStatus (presence.service.ts): online if any connection is, else away.
  put: `put(ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
local ukey = kp .. ':u:' .. ARGV[4]
local flat = redis.call('HGETALL', ukey)
local status, announced, at = 'away', 'offline', nil
for i = 1, #flat, 2 do
  if flat[i] == 'a' then announced, at = flat[i + 1], i + 1
  elseif string.sub(flat[i], 1, 2) == 'c:' and flat[i + 1] == 'online' then status = 'online' end
end
if status == announced then return {'', flat} end
redis.call('HSET', ukey, 'a', status)
-- The hash as it is now, without reading it again.
if at then flat[at] = status else flat[#flat + 1] = 'a'; flat[#flat + 1] = status end
return {status, flat}`,

  // ARGV: kp, nodeId, connId, userId
  remove: `remove(ARGV[2], ARGV[3], ARGV[4], now_ms())
return redis.call('HGETALL', kp .. ':u:' .. ARGV[4])`,

  // ARGV: kp, nodeId, leave ('1'|'0'), then (connId, userId, status, name)*
  sync: `local nodeId = ARGV[2]
local nkey = kp .. ':n:' .. nodeId
local wanted, changed = {}, {}
for i = 4, #ARGV, 4 do wanted[ARGV[i]] = true end
local t = now_ms()
local old = redis.call('HGETALL', nkey)
for i = 1, #old, 2 do
  if not wanted[old[i]] and remove(nodeId, old[i], old[i + 1], t) == 1 then changed[#changed + 1] = old[i + 1] end
end
for i = 4, #ARGV, 4 do
  if put(nodeId, ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]) == 1 then changed[#changed + 1] = ARGV[i + 1] end
end
if ARGV[3] == '1' then
  redis.call('ZREM', kp .. ':nodes', nodeId)
  redis.call('DEL', nkey)
else
  redis.call('ZADD', kp .. ':nodes', fmt(t), nodeId)
end
return changed`,

  // ARGV: kp, userId, version, status
  announce: `local ukey = kp .. ':u:' .. ARGV[2]
if (redis.call('HGET', ukey, 'v') or '0') ~= ARGV[3] then return 0 end
local conns = has_conns(ukey)
if ARGV[4] == 'offline' then
  if conns then return 0 end
  redis.call('DEL', ukey)
  return 1
end
if not conns then return 0 end
redis.call('HSET', ukey, 'a', ARGV[4])
return 1`,

  // ARGV: kp, nodeId
  heartbeat: `local known = redis.call('ZSCORE', kp .. ':nodes', ARGV[2])
redis.call('ZADD', kp .. ':nodes', fmt(now_ms()), ARGV[2])
if known then return 1 end
return 0`,

  // ARGV: kp, ttlMs. The whole reap of a node is one script: exactly one caller gets it.
  reap: `local nodesKey = kp .. ':nodes'
local dead = redis.call('ZRANGEBYSCORE', nodesKey, '-inf', fmt(now_ms() - tonumber(ARGV[2])), 'WITHSCORES')
local out = {}
for i = 1, #dead, 2 do
  local nodeId, beat = dead[i], tonumber(dead[i + 1])
  redis.call('ZREM', nodesKey, nodeId)
  local nkey = kp .. ':n:' .. nodeId
  local conns = redis.call('HGETALL', nkey)
  for j = 1, #conns, 2 do remove(nodeId, conns[j], conns[j + 1], beat) end
  redis.call('DEL', nkey)
  out[#out + 1] = nodeId
  out[#out + 1] = fmt(beat)
  out[#out + 1] = tostring(#conns / 2)
end
return out`,

  // ARGV: kp, graceMs, limit
  claim: `local key = kp .. ':pending'
local items = redis.call('ZRANGEBYSCORE', key, '-inf', fmt(now_ms() - tonumber(ARGV[2])), 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
for i = 1, #items, 2 do redis.call('ZREM', key, items[i]) end
return items`,
} as const;

type ScriptName = keyof typeof SCRIPTS;

function parseSnapshot(userId: string, flat: string[]): PresenceSnapshot {
  const snapshot: PresenceSnapshot = { userId, version: 0, name: null, connections: [], announced: null };
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const field = flat[i]!;
    const value = flat[i + 1]!;
    if (field === "v") snapshot.version = Number(value);
    else if (field === "n") snapshot.name = value;
    else if (field === "a") snapshot.announced = value as PresenceStatus;
    else if (field.startsWith("c:")) snapshot.connections.push(value as ConnectionStatus);
  }
  return snapshot;
}

/** The key prefix of the presence store under REDIS_PREFIX `prefix` (the scripts add the rest). */
const presenceKeyPrefix = (prefix: string) => `${prefix}:presence`;

/** Users whose last connection closed and who are not yet announced offline (read by the bench to know a storm has settled). */
export const offlineQueueKey = (prefix: string) => `${presenceKeyPrefix(prefix)}:pending`;

export function createRedisPresenceStore(redis: Redis, options: { prefix: string }): PresenceStore {
  const kp = presenceKeyPrefix(options.prefix);
  const shas = Object.fromEntries(
    Object.entries(SCRIPTS).map(([name, body]) => [name, createHash("sha1").update(PRELUDE + body).digest("hex")]),
  ) as Record<ScriptName, string>;

  async function run(name: ScriptName, args: (string | number)[]): Promise<unknown> {
    const argv = [kp, ...args.map(String)];
    try {
      return await redis.evalsha(shas[name], 0, ...argv);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
      return redis.eval(PRELUDE + SCRIPTS[name], 0, ...argv);
    }
  }

  /** One pipelined read of each user's hash (`add` queues it), each reply parsed; the first failed reply fails them all. */
  async function perUser<T>(
    userIds: string[],
    add: (pipeline: ChainableCommander, key: string) => void,
    parse: (reply: unknown, userId: string) => T,
  ): Promise<T[]> {
    if (userIds.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const userId of userIds) add(pipeline, `${kp}:u:${userId}`);
    const results = (await pipeline.exec()) ?? [];
    return userIds.map((userId, i) => {
      const [err, reply] = results[i] ?? [new Error("no reply"), null];
      if (err) throw err;
      return parse(reply, userId);
    });
  }

  return {
    scope: "cluster",

    async putConnection(nodeId, conn) {
      const [claimed, flat] = (await run("put", [nodeId, conn.connId, conn.userId, conn.status, conn.name])) as [string, string[]];
      return { ...parseSnapshot(conn.userId, flat), claimed: claimed === "" ? null : (claimed as ConnectionStatus) };
    },

    async removeConnection(nodeId, connId, userId) {
      return parseSnapshot(userId, (await run("remove", [nodeId, connId, userId])) as string[]);
    },

    async syncNode(nodeId, conns: PresenceConnection[], syncOptions = {}) {
      const args = conns.flatMap((c) => [c.connId, c.userId, c.status, c.name]);
      const changed = (await run("sync", [nodeId, syncOptions.leave ? "1" : "0", ...args])) as string[];
      return [...new Set(changed)];
    },

    async snapshot(userId) {
      return parseSnapshot(userId, await redis.call("HGETALL", `${kp}:u:${userId}`) as string[]);
    },

    snapshots: (userIds) =>
      perUser(userIds, (pipeline, key) => pipeline.call("HGETALL", key), (reply, userId) => parseSnapshot(userId, reply as string[])),

    // One field per user, not the whole hash: counting a room of 10,000 read
    // every connection of every member before (HGETALL), for this one value.
    announcedStatuses: (userIds) =>
      perUser(userIds, (pipeline, key) => pipeline.hget(key, "a"), (reply) => (reply as PresenceStatus | null) ?? null),

    async announce(userId, version, status) {
      return (await run("announce", [userId, version, status])) === 1;
    },

    async heartbeat(nodeId) {
      return (await run("heartbeat", [nodeId])) === 1;
    },

    async reapDeadNodes(ttlMs) {
      const flat = (await run("reap", [ttlMs])) as string[];
      const reaped: { nodeId: string; lastHeartbeatAt: Date; connections: number }[] = [];
      for (let i = 0; i + 2 < flat.length; i += 3) {
        reaped.push({ nodeId: flat[i]!, lastHeartbeatAt: new Date(Number(flat[i + 1])), connections: Number(flat[i + 2]) });
      }
      return reaped;
    },

    async claimDue(graceMs, limit) {
      const flat = (await run("claim", [graceMs, limit])) as string[];
      const due: { userId: string; since: Date }[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) due.push({ userId: flat[i]!, since: new Date(Number(flat[i + 1])) });
      return due;
    },

    async requeue(userId, since) {
      await redis.zadd(offlineQueueKey(options.prefix), since.getTime(), userId);
    },
  };
}
