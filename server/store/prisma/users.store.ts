import DataLoader from "dataloader";
import { AppError } from "../../domain/errors";
import type { UsersStore } from "../../domain/ports";
import type { Database } from "../db/database";
import { guard, isUniqueViolation } from "./errors";

// Every socket handshake runs this (bench/, issue 6): one statement through
// `db.sql` instead of Prisma's nested select, which is two SQL statements plus
// the Prisma client's per-call work (~0.3-0.4 ms of Node CPU per connect).
// It takes many users at once (see the loader below). The rooms are a
// per-user subquery on memberships(user_id), not a join: the statement is
// prepared, and a generic plan made while memberships was small hash-joined a
// sequential scan of it, kept for the connection's life as the table grew.
/** Exported for the plan test (tests/integration/users-store.test.ts). */
export const CONNECTION_PROFILES_SQL = `
  SELECT u.id,
         u.banned_at IS NOT NULL AS suspended,
         ARRAY(SELECT m.room_id FROM memberships m WHERE m.user_id = u.id) AS room_ids
    FROM users u
   WHERE u.id = ANY($1::text[])`;

type ConnectionProfile = Awaited<ReturnType<UsersStore["connectionProfile"]>>;

export function createPrismaUsersStore(db: Pick<Database, "prisma" | "sql">): UsersStore {
  const { prisma } = db;
  // Handshakes come in storms (a deploy reconnects every client within seconds).
  // The profiles asked for during one turn of the event loop are read with one
  // statement: one database round trip for dozens of sockets instead of one
  // each. A lone handshake waits for nothing (setImmediate runs right after the
  // I/O of the current turn). No cache: a suspension or a new membership counts
  // from the next handshake on.
  const profiles = new DataLoader<string, ConnectionProfile>(
    async (userIds) => {
      const rows = await db.sql<{ id: string; suspended: boolean; room_ids: string[] }>({
        name: "connection-profiles",
        text: CONNECTION_PROFILES_SQL,
        values: [userIds],
      });
      const byId = new Map(rows.map((row) => [row.id, { roomIds: row.room_ids, suspended: row.suspended }]));
      // An unknown user (deleted since the token was issued) is in no room.
      return userIds.map((id) => byId.get(id) ?? { roomIds: [], suspended: false });
    },
    { cache: false, maxBatchSize: 500, batchScheduleFn: (run) => setImmediate(run) },
  );
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
    connectionProfile: (userId) => guard(() => profiles.load(userId)),
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
