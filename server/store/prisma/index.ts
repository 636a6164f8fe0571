import type { Stores } from "../../domain/ports";
import type { Database } from "../db/database";
import { createPrismaMessagesStore } from "./messages.store";
import { createPrismaModerationStore } from "./moderation.store";
import { createPrismaRoomsStore } from "./rooms.store";
import { createPrismaUsersStore } from "./users.store";

export function createPrismaStores(db: Pick<Database, "prisma" | "sql">): Stores {
  const { prisma } = db;
  const users = createPrismaUsersStore(db);
  return {
    users,
    // A user's rooms come from the same batched statement as a handshake's profile.
    rooms: createPrismaRoomsStore(db, async (userId) => (await users.connectionProfile(userId)).roomIds),
    messages: createPrismaMessagesStore(db),
    moderation: createPrismaModerationStore(prisma),
  };
}
