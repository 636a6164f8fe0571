import { AppError } from "../../domain/errors";
import type { RoomRole } from "../../../lib/contract";
import type { RoomsStore } from "../../domain/ports";
import type { Database } from "../db/database";
import { sqlDate } from "../db/sql-values";
import { guard, isUniqueViolation } from "./errors";
import { roomInclude, toRoomSummary } from "./mappers";

/** A row of a page of members (`Database.sql`: timestamps as text). */
interface MemberRow {
  id: string;
  name: string;
  role: RoomRole;
  last_seen_at: string | null;
  muted_until: string | null;
}

/**
 * A page of a room's members, by name then id (exported for the plan test).
 * Parameters: $1 the room; with `after`, the last key of the page before
 * (name, id); with `search`, a LIKE pattern; last, the page size. Its plan
 * must read the room's range of the (room_id, member_name, user_id) index at
 * any table size (tests/integration/member-pages.test.ts checks the generic
 * plan, which `Database.sql`'s connections keep).
 */
export function memberPageSql(options: { after: boolean; search: boolean }): string {
  let n = 1;
  const where = ["m.room_id = $1"];
  if (options.after) where.push(`(m.member_name, m.user_id) > ($${++n}, $${++n})`);
  if (options.search) where.push(`m.member_name ILIKE $${++n} ESCAPE '\\'`);
  return `
    SELECT u.id, u.name, m.role, u.last_seen_at, m.muted_until
      FROM memberships m JOIN users u ON u.id = m.user_id
     WHERE ${where.join(" AND ")}
     ORDER BY m.member_name, m.user_id
     LIMIT $${++n}`;
}

/** `text` matched literally inside a LIKE pattern: a search for "50%" or "a_b" must not match every name. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

const membershipSelect = { roomId: true, userId: true, role: true, lastReadSeq: true, mutedUntil: true } as const;

/**
 * `memberRoomIds`: a user's rooms, read in batches elsewhere (createPrismaStores
 * hands it the handshake's connection-profile statement, which reads them
 * already): asked for by the offline sweep for users not connected here, 200
 * at a time after a node stopped or lost its clients.
 */
export function createPrismaRoomsStore(db: Pick<Database, "prisma" | "sql">, memberRoomIds: (userId: string) => Promise<string[]>): RoomsStore {
  const { prisma } = db;
  return {
    create: ({ name, isPublic, createdById }) =>
      guard(async () => {
        try {
          const row = await prisma.room.create({
            data: { name, isPublic, createdById, memberships: { create: { userId: createdById, role: "OWNER" } } },
            include: roomInclude(createdById),
          });
          return toRoomSummary(row);
        } catch (err) {
          if (isUniqueViolation(err)) throw new AppError("conflict", `A room named "${name}" already exists`);
          throw err;
        }
      }),

    findById: (roomId, viewerId) =>
      guard(async () => {
        const row = await prisma.room.findUnique({ where: { id: roomId }, include: roomInclude(viewerId) });
        return row ? toRoomSummary(row) : null;
      }),

    listVisible: (userId) =>
      guard(async () => {
        const rows = await prisma.room.findMany({
          where: { OR: [{ isPublic: true }, { memberships: { some: { userId } } }] },
          include: roomInclude(userId),
          orderBy: { name: "asc" },
        });
        return rows.map(toRoomSummary);
      }),

    listMemberRoomIds: memberRoomIds,

    getMembership: (roomId, userId) =>
      guard(() => prisma.membership.findUnique({ where: { roomId_userId: { roomId, userId } }, select: membershipSelect })),

    addMember: (roomId, userId, role = "MEMBER") =>
      guard(async () => {
        const existing = await prisma.membership.findUnique({
          where: { roomId_userId: { roomId, userId } },
          select: membershipSelect,
        });
        if (existing) return { membership: existing, created: false };
        try {
          const membership = await prisma.membership.create({ data: { roomId, userId, role }, select: membershipSelect });
          return { membership, created: true };
        } catch (err) {
          // Two tabs joining at once: the other one won, which is fine.
          if (!isUniqueViolation(err)) throw err;
          const membership = await prisma.membership.findUniqueOrThrow({
            where: { roomId_userId: { roomId, userId } },
            select: membershipSelect,
          });
          return { membership, created: false };
        }
      }),

    removeMember: (roomId, userId) =>
      guard(async () => {
        const { count } = await prisma.membership.deleteMany({ where: { roomId, userId } });
        return count > 0;
      }),

    countMembers: (roomId) => guard(() => prisma.membership.count({ where: { roomId } })),

    countMembersOf: (roomIds) =>
      guard(async () => {
        const rows = await prisma.membership.groupBy({ by: ["roomId"], where: { roomId: { in: roomIds } }, _count: { _all: true } });
        const counts = new Map(roomIds.map((id) => [id, 0]));
        for (const row of rows) counts.set(row.roomId, row._count._all);
        return counts;
      }),

    listMemberIdsOf: (roomIds) =>
      guard(async () => {
        const rows = await prisma.membership.findMany({ where: { roomId: { in: roomIds } }, select: { roomId: true, userId: true } });
        const ids = new Map<string, Set<string>>();
        for (const row of rows) {
          let set = ids.get(row.roomId);
          if (!set) ids.set(row.roomId, (set = new Set()));
          set.add(row.userId);
        }
        return ids;
      }),

    listMembers: (roomId, { after, limit, nameContains }) =>
      guard(async () => {
        // One statement (Prisma made two, and its per-row work was most of a
        // page's CPU), over the names the database copies into memberships (the
        // "member_names" migration): a page is a range of the (room_id,
        // member_name, user_id) index, not a join and sort of the whole room.
        const values: unknown[] = [roomId];
        if (after) values.push(after.name, after.id);
        if (nameContains) values.push(`%${likeLiteral(nameContains)}%`);
        values.push(limit);
        const rows = await db.sql<MemberRow>({ text: memberPageSql({ after: Boolean(after), search: Boolean(nameContains) }), values });
        return rows.map((r) => ({ id: r.id, name: r.name, role: r.role, lastSeenAt: sqlDate(r.last_seen_at), mutedUntil: sqlDate(r.muted_until) }));
      }),

    markRead: (roomId, userId, seq) =>
      guard(async () => {
        // One statement, so concurrent reads from two devices can only move it forward.
        const rows = await prisma.$queryRaw<{ last_read_seq: number }[]>`
          UPDATE memberships m
             SET last_read_seq = GREATEST(m.last_read_seq, LEAST(${seq}::int, r.last_seq))
            FROM rooms r
           WHERE m.room_id = ${roomId} AND m.user_id = ${userId} AND r.id = m.room_id
       RETURNING m.last_read_seq`;
        const row = rows[0];
        if (!row) throw new AppError("forbidden", "You are not a member of this room");
        return row.last_read_seq;
      }),
  };
}
