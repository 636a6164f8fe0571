import { AppError } from "../../domain/errors";
import type { UsersStore } from "../../domain/ports";
import type { Database } from "../db/database";
import { guard, isUniqueViolation } from "./errors";

// Every socket handshake runs this (bench/, issue 6): one statement through
// `db.sql` instead of Prisma's nested select, which is two SQL statements plus
// the Prisma client's per-call work (~0.3-0.4 ms of Node CPU per connect).
const CONNECTION_PROFILE_SQL = `
  SELECT u.banned_at IS NOT NULL AS suspended,
         COALESCE(array_agg(m.room_id) FILTER (WHERE m.room_id IS NOT NULL), '{}') AS room_ids
    FROM users u LEFT JOIN memberships m ON m.user_id = u.id
   WHERE u.id = $1
   GROUP BY u.id`;

export function createPrismaUsersStore(db: Pick<Database, "prisma" | "sql">): UsersStore {
  const { prisma } = db;
  return {
    create: (input) =>
      guard(async () => {
        try {
          return await prisma.user.create({ data: { ...input, email: input.email.toLowerCase() } });
        } catch (err) {
          if (isUniqueViolation(err)) throw new AppError("conflict", "An account with this email already exists");
          throw err;
        }
      }),
    findById: (id) => guard(() => prisma.user.findUnique({ where: { id } })),
    findByEmailWithPasswordHash: (email) =>
      guard(() => prisma.user.findUnique({ where: { email: email.toLowerCase() }, omit: { passwordHash: false } })),
    connectionProfile: (userId) =>
      guard(async () => {
        const [row] = await db.sql<{ suspended: boolean; room_ids: string[] }>({
          name: "connection-profile",
          text: CONNECTION_PROFILE_SQL,
          values: [userId],
        });
        return { roomIds: row?.room_ids ?? [], suspended: row?.suspended ?? false };
      }),
    markLastSeen: (userId, at) =>
      guard(async () => {
        // One conditional statement: two nodes recording it at once can only move it forward.
        await prisma.user.updateMany({
          where: { id: userId, OR: [{ lastSeenAt: null }, { lastSeenAt: { lt: at } }] },
          data: { lastSeenAt: at },
        });
      }),
  };
}
