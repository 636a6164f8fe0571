// The storage interfaces the domain is written against. server/index.ts picks
// the implementations (Prisma for durable data; memory or Redis for shared
// ephemeral state); tests use the same real implementations.
import type { ChatMessage, RoomRole, RoomSummary } from "../../lib/contract";

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
}

export interface MembershipRecord {
  roomId: string;
  userId: string;
  role: RoomRole;
  lastReadSeq: number;
  mutedUntil: Date | null;
}

export type RoomRecord = Omit<RoomSummary, "membership">;

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
  /** Moves lastReadSeq forward to `seq` (never backwards, never past the room's lastSeq). */
  markRead(roomId: string, userId: string, seq: number): Promise<number>;
}

export interface MessageDraft {
  authorId: string;
  clientId: string;
  body: string;
}

/** Outcome of one draft in a batch append, in the same order as the drafts. */
export type AppendOutcome =
  | { status: "created"; message: ChatMessage }
  /** The (author, clientId) was accepted before: the stored message, unchanged. */
  | { status: "duplicate"; message: ChatMessage }
  | { status: "rejected"; code: "not_found" | "forbidden" | "muted" | "conflict"; message: string };

export interface MessagesStore {
  /**
   * Appends drafts to a room in ONE transaction: checks membership, skips
   * (author, clientId) pairs already stored, assigns the next seqs under the
   * room's row lock and inserts. Resolves only after commit.
   */
  appendBatch(roomId: string, drafts: MessageDraft[]): Promise<AppendOutcome[]>;
  findById(messageId: string): Promise<ChatMessage | null>;
  /** Sets a new body (edit) or tombstones it (delete), bumping the room's change number. */
  update(messageId: string, change: { body: string } | { deleted: true }): Promise<ChatMessage>;
  /** Messages with seq > afterSeq, or changed after afterChange, ascending by seq. */
  listAfter(roomId: string, afterSeq: number, afterChange: number | undefined, limit: number): Promise<ChatMessage[]>;
  /** The newest `limit` messages with seq < beforeSeq (or the newest), ascending by seq. */
  listBefore(roomId: string, beforeSeq: number | undefined, limit: number): Promise<ChatMessage[]>;
}

export interface Stores {
  users: UsersStore;
  rooms: RoomsStore;
  messages: MessagesStore;
}
