import { AppError } from "../../domain/errors";
import type { UsersStore } from "../../domain/ports";
import type { Database } from "../db/database";
import { perTurnLoader } from "../db/per-turn-loader";
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

// Users go offline in storms too: a node that stops or loses its network takes
// thousands of connections with it, and once their grace period is over the
// sweep records every user's "last seen" (bench: 10,000 at once). One statement
// per batch instead of an UPDATE each, so that storm does not queue in front
// of message commits. It only moves the time forward: two nodes recording the
// same user, or a batch holding a user twice, keep the latest. The column is
// Prisma's TIMESTAMP(3), UTC without a zone: the times are turned into that.
// Not prepared (no name): it runs a few times per storm, so it is planned each
// time, against the table as it is then; a plan cached while users was small
// would seq-scan it for the connection's life.
const MARK_LAST_SEEN_SQL = `
  UPDATE users u
     SET last_seen_at = v.at
    FROM (SELECT t.id, max(t.at) AT TIME ZONE 'UTC' AS at
            FROM unnest($1::text[], $2::timestamptz[]) AS t(id, at)
           GROUP BY t.id) v
   WHERE u.id = ANY($1::text[])
     AND u.id = v.id
     AND (u.last_seen_at IS NULL OR u.last_seen_at < v.at)`;

type ConnectionProfile = Awaited<ReturnType<UsersStore["connectionProfile"]>>;

export function createPrismaUsersStore(db: Pick<Database, "prisma" | "sql">): UsersStore {
  const { prisma } = db;
  // Handshakes come in storms (a deploy reconnects every client within seconds):
  // the profiles asked for during one turn are read with one statement. No
  // cache: a suspension or a new membership counts from the next handshake on.
  const profiles = perTurnLoader<string, ConnectionProfile>(async (userIds) => {
    const rows = await db.sql<{ id: string; suspended: boolean; room_ids: string[] }>({
      name: "connection-profiles",
      text: CONNECTION_PROFILES_SQL,
      values: [userIds],
    });
    const byId = new Map(rows.map((row) => [row.id, { roomIds: row.room_ids, suspended: row.suspended }]));
    // An unknown user (deleted since the token was issued) is in no room.
    return userIds.map((id) => byId.get(id) ?? { roomIds: [], suspended: false });
  });
  const lastSeen = perTurnLoader<{ userId: string; at: Date }, void>(async (marks) => {
    await db.sql({
      text: MARK_LAST_SEEN_SQL,
      values: [marks.map((m) => m.userId), marks.map((m) => m.at.toISOString())],
    });
    return marks.map(() => undefined);
  });
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
    markLastSeen: (userId, at) => guard(() => lastSeen.load({ userId, at })),
  };
}
