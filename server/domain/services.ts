import { createMessagesService } from "./messages.service";
import { createModerationService } from "./moderation.service";
import type { Stores } from "./ports";
import { createRoomsService } from "./rooms.service";
import { createSocketTokens } from "./socket-tokens";
import { createUsersService } from "./users.service";
import { MessageWriteQueue } from "./write-queue";

export interface ServicesConfig {
  authSecret: string;
  socketTokenTtlSeconds: number;
  /** Accounts signing up with these emails are admins. */
  adminEmails?: readonly string[];
}

/** Every use-case, wired to the given stores. */
export function createServices(stores: Stores, config: ServicesConfig) {
  const writeQueue = new MessageWriteQueue(stores.messages);
  const rooms = createRoomsService(stores.rooms);
  return {
    users: createUsersService(stores.users, { adminEmails: config.adminEmails ?? [] }),
    tokens: createSocketTokens({ secret: config.authSecret, ttlSeconds: config.socketTokenTtlSeconds }),
    rooms,
    messages: createMessagesService({ messages: stores.messages, rooms, writeQueue }),
    moderation: createModerationService({ rooms: stores.rooms, users: stores.users, moderation: stores.moderation }),
    writeQueue,
  };
}
export type Services = ReturnType<typeof createServices>;
