// The storage interfaces the domain is written against. server/index.ts picks
// the implementations (Prisma for durable data; memory or Redis for shared
// ephemeral state); tests use the same real implementations.
import type { ChatMessage, PresenceStatus, RoomRole, RoomSummary } from "../../lib/contract";
import type { MemberKey } from "./member-cursor";

export type UserRole = "USER" | "ADMIN";

export interface UserRecord {
  id: string;
  email: string;
  name: string;
  role: UserRole;
  createdAt: Date;
}

export interface UsersStore {
  /** Throws AppError("conflict") when the email is taken. */
  create(input: { email: string; name: string; passwordHash: string; role?: UserRole }): Promise<UserRecord>;
  findById(id: string): Promise<UserRecord | null>;
  findByEmailWithPasswordHash(email: string): Promise<(UserRecord & { passwordHash: string }) | null>;
  /** Records when the user was last seen online (never moves backwards). */
  markLastSeen(userId: string, at: Date): Promise<void>;
  /**
   * What a connecting socket needs, in one query: the rooms the user belongs to
   * and whether the account is suspended (an unknown id: no rooms, not suspended).
   */
  connectionProfile(userId: string): Promise<{ roomIds: string[]; suspended: boolean }>;
}

export interface MembershipRecord {
  roomId: string;
  userId: string;
  role: RoomRole;
  lastReadSeq: number;
  mutedUntil: Date | null;
}

export type RoomRecord = Omit<RoomSummary, "membership">;

export interface MemberRecord {
  id: string;
  name: string;
  role: RoomRole;
  lastSeenAt: Date | null;
  mutedUntil: Date | null;
}

export interface RoomsStore {
  /** Creates the room with its creator as OWNER. Throws AppError("conflict") if the name is taken. */
  create(input: { name: string; isPublic: boolean; createdById: string }): Promise<RoomSummary>;
  findById(roomId: string, viewerId: string): Promise<RoomSummary | null>;
  /** Public rooms plus private rooms the user belongs to, by name. */
  listVisible(userId: string): Promise<RoomSummary[]>;
  /** Ids of the rooms the user belongs to. */
  listMemberRoomIds(userId: string): Promise<string[]>;
  getMembership(roomId: string, userId: string): Promise<MembershipRecord | null>;
  /** Idempotent. Returns the membership and whether it was created now. */
  addMember(roomId: string, userId: string, role?: RoomRole): Promise<{ membership: MembershipRecord; created: boolean }>;
  /** Returns false if the user was not a member. */
  removeMember(roomId: string, userId: string): Promise<boolean>;
  countMembers(roomId: string): Promise<number>;
  /** Member counts of several rooms (0 for a room that does not exist). */
  countMembersOf(roomIds: string[]): Promise<Map<string, number>>;
  /** The member ids of several rooms (none for a room that does not exist). */
  listMemberIdsOf(roomIds: string[]): Promise<Map<string, Set<string>>>;
  /**
   * Members of the room with their role and persisted last-seen time, ordered
   * by name then id: at most `limit`, after `after` when given (keyset paging),
   * only those whose name contains `nameContains` (ignoring case) when given.
   */
  listMembers(roomId: string, page: { after?: MemberKey; limit: number; nameContains?: string }): Promise<MemberRecord[]>;
  /** Moves lastReadSeq forward to `seq` (never backwards, never past the room's lastSeq). */
  markRead(roomId: string, userId: string, seq: number): Promise<number>;
}

export interface MessageDraft {
  /** The id the message gets if this write creates it (newMessageId(); a resend gets a new one). */
  id: string;
  authorId: string;
  clientId: string;
  body: string;
}

/** A draft addressed to a room: one entry of a (possibly multi-room) batch append. */
export interface RoomDraft extends MessageDraft {
  roomId: string;
}

/** Outcome of one draft in a batch append, in the same order as the drafts. */
export type AppendOutcome =
  | { status: "created"; message: ChatMessage }
  /** The (author, clientId) was accepted before: the stored message, unchanged. */
  | { status: "duplicate"; message: ChatMessage }
  | { status: "rejected"; code: "not_found" | "forbidden" | "muted" | "conflict"; message: string };

export interface MessagesStore {
  /**
   * Appends drafts, to one room or several, in ONE transaction: checks
   * membership, skips (author, clientId) pairs already stored, assigns the next
   * seqs under each room's row lock and inserts. Drafts to the same room get
   * seqs in array order. Resolves only after commit.
   */
  appendBatch(drafts: RoomDraft[]): Promise<AppendOutcome[]>;
  findById(messageId: string): Promise<ChatMessage | null>;
  /** The stored messages among these ids (any order; missing ids are left out). */
  findByIds(messageIds: string[]): Promise<ChatMessage[]>;
  /** Sets a new body (edit) or tombstones it (delete), bumping the room's change number. */
  update(messageId: string, change: { body: string } | { deleted: true }): Promise<ChatMessage>;
  /** Messages with seq > afterSeq, or changed after afterChange, ascending by seq. */
  listAfter(roomId: string, afterSeq: number, afterChange: number | undefined, limit: number): Promise<ChatMessage[]>;
  /** The newest `limit` messages with seq < beforeSeq (or the newest), ascending by seq. */
  listBefore(roomId: string, beforeSeq: number | undefined, limit: number): Promise<ChatMessage[]>;
}

/** What one connection reports about itself. */
export type ConnectionStatus = Exclude<PresenceStatus, "offline">;

/** Everything the presence store knows about one user. */
export interface PresenceSnapshot {
  userId: string;
  /**
   * Changes with every change to the user's connections (unique across the
   * store's life, never reused): `announce` succeeds only if it is unchanged.
   */
  version: number;
  /** The user's display name, as given by their latest connection (null when unknown). */
  name: string | null;
  /** The status of each open connection, on every node. */
  connections: ConnectionStatus[];
  /** The status last announced to other users (null: never, i.e. offline). */
  announced: PresenceStatus | null;
}

export interface PresenceConnection {
  connId: string;
  userId: string;
  name: string;
  status: ConnectionStatus;
}

/**
 * Who is connected where, shared by every server process (memory for one
 * process, Redis for several). Connections are recorded per node; each node
 * heartbeats, and the connections of a node whose heartbeat stops are removed
 * by whichever node reaps it first. The rules (what status a user has, when to
 * announce it) live in server/domain/presence.service.ts; the store only keeps
 * state and makes each operation atomic.
 *
 * When a user's last connection is removed (closed, or reaped with its node)
 * the user is queued for an offline check with the time it happened;
 * `claimDue` hands each queued user to exactly one caller.
 */
export interface PresenceStore {
  /** "process": only this process sees it (embedded mode); "cluster": shared by every node. */
  readonly scope: "process" | "cluster";
  /**
   * Adds or updates a connection of `nodeId`. In the same atomic step, when the
   * user's overall status (`aggregateStatus`: online if any connection is, else
   * away) now differs from the one announced, records it as announced and
   * returns it as `claimed`: the caller, and no other node, announces it. One
   * store round trip per connect instead of a put and a compare-and-set.
   */
  putConnection(nodeId: string, conn: PresenceConnection): Promise<PresenceSnapshot & { claimed: ConnectionStatus | null }>;
  removeConnection(nodeId: string, connId: string, userId: string): Promise<PresenceSnapshot>;
  /**
   * Makes the store's record of `nodeId` exactly `conns` (after an outage, or
   * after the node was wrongly reaped). With `leave`, also forgets the node
   * (graceful shutdown; pass no connections). Returns the users whose connections changed.
   */
  syncNode(nodeId: string, conns: PresenceConnection[], options?: { leave?: boolean }): Promise<string[]>;
  snapshot(userId: string): Promise<PresenceSnapshot>;
  snapshots(userIds: string[]): Promise<PresenceSnapshot[]>;
  /**
   * What was last announced for each user (null: never, i.e. offline): what
   * others are told they are. One field per user, for the many-user reads
   * (member pages, watches, a big room's online count) that need nothing else.
   */
  announcedStatuses(userIds: string[]): Promise<(PresenceStatus | null)[]>;
  /**
   * Records `status` as announced if the user's version is still `version`.
   * Refuses `offline` while connections remain and other statuses when none do.
   * Announcing `offline` forgets the user. Resolves to whether it was recorded.
   */
  announce(userId: string, version: number, status: PresenceStatus): Promise<boolean>;
  /** Marks the node alive now. Resolves to false if the store did not know it (new, or reaped). */
  heartbeat(nodeId: string): Promise<boolean>;
  /** Removes every node (and its connections) whose last heartbeat is older than `ttlMs`. Atomic per node. */
  reapDeadNodes(ttlMs: number): Promise<{ nodeId: string; lastHeartbeatAt: Date; connections: number }[]>;
  /** Hands out (and dequeues) users queued for an offline check at least `graceMs` ago. */
  claimDue(graceMs: number, limit: number): Promise<{ userId: string; since: Date }[]>;
  /** Queues a user for an offline check again (a claimed check that could not finish). */
  requeue(userId: string, since: Date): Promise<void>;
}

export interface ModerationStore {
  /** Records the ban and removes the membership, in one transaction. */
  banFromRoom(input: { roomId: string; userId: string; bannedById: string; reason?: string }): Promise<void>;
  unbanFromRoom(roomId: string, userId: string): Promise<boolean>;
  isBannedFromRoom(roomId: string, userId: string): Promise<boolean>;
  /** Returns false if the user is not a member. */
  setMutedUntil(roomId: string, userId: string, until: Date | null): Promise<boolean>;
  setUserBanned(userId: string, at: Date | null): Promise<boolean>;
  isUserBanned(userId: string): Promise<boolean>;
}

export interface RateLimiter {
  /** Takes one point for `key`; says when to retry if none is left. */
  consume(key: string): Promise<{ allowed: true } | { allowed: false; retryAfterMs: number }>;
}

export interface RateLimits {
  messages: RateLimiter;
  rooms: RateLimiter;
  auth: RateLimiter;
}

export interface Stores {
  users: UsersStore;
  rooms: RoomsStore;
  messages: MessagesStore;
  moderation: ModerationStore;
}
