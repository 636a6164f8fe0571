import { AppError } from "../../domain/errors";
import type { RoomsStore } from "../../domain/ports";
import type { AppPrismaClient } from "../db/database";
import { guard, isUniqueViolation } from "./errors";
import { roomInclude, toRoomSummary } from "./mappers";

/**
 * `text` matched literally by Prisma's `contains` (a LIKE pattern it does not
 * escape): a search for "50%" or "a_b" must not match every name.
 */
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
export function createPrismaRoomsStore(prisma: AppPrismaClient, memberRoomIds: (userId: string) => Promise<string[]>): RoomsStore {
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
        const rows = await prisma.membership.findMany({
          // On the members' names the database copies into memberships (see the
          // "member_names" migration): a page is a range of the (room_id,
          // member_name, user_id) index, not a join and sort of the whole room.
          where: {
            roomId,
            AND: [
              // Keyset: the members sorting after `after` by (name, id), the order below.
              after ? { OR: [{ memberName: { gt: after.name } }, { memberName: after.name, userId: { gt: after.id } }] } : {},
              nameContains ? { memberName: { contains: likeLiteral(nameContains), mode: "insensitive" } } : {},
            ],
          },
          take: limit,
          select: { role: true, mutedUntil: true, user: { select: { id: true, name: true, lastSeenAt: true } } },
          orderBy: [{ memberName: "asc" }, { userId: "asc" }],
        });
        return rows.map((r) => ({
          id: r.user.id,
          name: r.user.name,
          role: r.role,
          lastSeenAt: r.user.lastSeenAt,
          mutedUntil: r.mutedUntil,
        }));
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
