import { createLateCommitWatch } from "./late-commits";
import { createMessagesService } from "./messages.service";
import { createModerationService } from "./moderation.service";
import type { RateLimits, Stores } from "./ports";
import { createRoomsService } from "./rooms.service";
import { createSocketTokens } from "./socket-tokens";
import { createUsersService } from "./users.service";
import { MessageWriteQueue } from "./write-queue";

export interface ServicesConfig {
  authSecret: string;
  socketTokenTtlSeconds: number;
  /** Accounts signing up with these emails are admins. */
  adminEmails?: readonly string[];
  /** Message transactions in flight at once (MessageWriteQueue's maxInFlight); 1 when absent. */
  writeConcurrency?: number;
  /** Shared rate limits; unlimited when absent (tests that are not about limits). */
  limits?: RateLimits;
  /** Metrics hook for group-commit transactions. */
  onWriteBatch?: (size: number, seconds: number, ok: boolean) => void;
  /** A look-up of possibly committed writes failed (it is retried): logging hook. */
  onLateCommitCheckFailed?: (err: unknown) => void;
}

const unlimited = { consume: async () => ({ allowed: true as const }) };
const NO_LIMITS: RateLimits = { messages: unlimited, rooms: unlimited, auth: unlimited };

/** Every use-case, wired to the given stores. */
export function createServices(stores: Stores, config: ServicesConfig) {
  const writeQueue = new MessageWriteQueue(stores.messages, 256, config.onWriteBatch, config.writeConcurrency);
  const limits = config.limits ?? NO_LIMITS;
  const rooms = createRoomsService(stores.rooms, limits);
  const lateCommits = createLateCommitWatch((ids) => stores.messages.findByIds(ids), { onError: config.onLateCommitCheckFailed });
  return {
    users: createUsersService(stores.users, { adminEmails: config.adminEmails ?? [], limits }),
    tokens: createSocketTokens({ secret: config.authSecret, ttlSeconds: config.socketTokenTtlSeconds }),
    rooms,
    messages: createMessagesService({ messages: stores.messages, rooms, writeQueue, limits, lateCommits }),
    moderation: createModerationService({ rooms: stores.rooms, users: stores.users, moderation: stores.moderation }),
    writeQueue,
    /** Sends answered `unavailable` that may have been committed anyway: the realtime layer broadcasts those that were. */
    lateCommits,
  };
}
export type Services = ReturnType<typeof createServices>;
