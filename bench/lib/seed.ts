// Bulk creation of users, rooms and memberships straight through Prisma
// (createMany in chunks: 10,000 users take about a second), for the bench and
// for `npm run bench:users`. Every user gets the same pre-computed password
// hash, so accounts made here can also sign in through /api/token.
import { randomBytes } from "node:crypto";
import type { AppPrismaClient } from "../../server/store/db/database";

const CHUNK = 5_000;

export interface SeededUser {
  id: string;
  name: string;
  email: string;
}

/** A short tag that keeps ids, emails and room names of one run apart from every other run. */
export const newTag = () => randomBytes(4).toString("hex");

async function inChunks<T>(rows: T[], write: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await write(rows.slice(i, i + CHUNK));
}

export async function createUsers(
  prisma: AppPrismaClient,
  options: { count: number; tag: string; prefix: string; passwordHash: string; offset?: number },
): Promise<SeededUser[]> {
  const offset = options.offset ?? 0;
  const users = Array.from({ length: options.count }, (_, k) => {
    const i = offset + k;
    return {
      id: `${options.prefix}${options.tag}u${i}`,
      name: `${options.prefix}${i}`,
      email: `${options.prefix}${i}-${options.tag}@bench.test`,
    };
  });
  await inChunks(users, (chunk) =>
    prisma.user.createMany({ data: chunk.map((u) => ({ ...u, passwordHash: options.passwordHash })) }),
  );
  return users;
}

export async function createRooms(
  prisma: AppPrismaClient,
  rooms: { id: string; name: string; createdById: string; members: string[] }[],
): Promise<void> {
  await inChunks(rooms, (chunk) =>
    prisma.room.createMany({ data: chunk.map(({ id, name, createdById }) => ({ id, name, createdById, isPublic: true })) }),
  );
  const memberships = rooms.flatMap((room) =>
    room.members.map((userId) => ({ roomId: room.id, userId, role: userId === room.createdById ? ("OWNER" as const) : ("MEMBER" as const) })),
  );
  await inChunks(memberships, (chunk) => prisma.membership.createMany({ data: chunk, skipDuplicates: true }));
}
