// Users, rooms and socket tokens for an external load tester: what
// `npm run bench:users` writes to files and `npm run bench:artillery` hands to
// Artillery. Users are written straight through Prisma with one pre-computed
// argon2 hash (so they can also sign in through /api/token); user i is a
// member of room i mod `rooms`, and each token line names that room.
import { hashPassword } from "../../server/domain/passwords";
import { createSocketTokens } from "../../server/domain/socket-tokens";
import type { AppPrismaClient } from "../../server/store/db/database";
import { createRooms, createUsers, newTag } from "./seed";

export interface LoadUser {
  userId: string;
  name: string;
  email: string;
  roomId: string;
  token: string;
  expiresAt: number;
}

export interface LoadUsersOptions {
  count: number;
  rooms: number;
  /** The server's AUTH_SECRET: tokens signed with another secret are refused. */
  secret: string;
  ttlSeconds: number;
  password: string;
}

export async function createLoadUsers(prisma: AppPrismaClient, options: LoadUsersOptions): Promise<{ tag: string; users: LoadUser[] }> {
  if (!Number.isInteger(options.count) || options.count < 1) throw new Error("--count must be a positive integer");
  const roomCount = Math.max(1, Math.floor(options.rooms));
  const tag = newTag();
  const users = await createUsers(prisma, { count: options.count, tag, prefix: "load", passwordHash: await hashPassword(options.password) });
  const rooms = Array.from({ length: roomCount }, (_, r) => ({
    id: `r${tag}load${r}`,
    name: `load-${tag}-${r}`,
    createdById: users[0]!.id,
    members: users.filter((_, i) => i % roomCount === r).map((u) => u.id),
  }));
  await createRooms(prisma, rooms);
  const tokens = createSocketTokens({ secret: options.secret, ttlSeconds: options.ttlSeconds });
  const loadUsers: LoadUser[] = [];
  for (const [i, user] of users.entries()) {
    const { token, expiresAt } = await tokens.issue({ id: user.id, name: user.name, role: "USER" });
    loadUsers.push({ userId: user.id, name: user.name, email: user.email, roomId: rooms[i % roomCount]!.id, token, expiresAt });
  }
  return { tag, users: loadUsers };
}

/** One JSON object per line: {"userId","name","email","roomId","token","expiresAt"}. */
export const toJsonLines = (users: LoadUser[]) => `${users.map((u) => JSON.stringify(u)).join("\n")}\n`;

/** Artillery's payload: token,roomId,userId per line, no header (the order bench/artillery.yml names). */
export const toArtilleryCsv = (users: LoadUser[]) => `${users.map((u) => `${u.token},${u.roomId},${u.userId}`).join("\n")}\n`;
