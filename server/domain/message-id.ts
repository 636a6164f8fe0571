import { randomUUID } from "node:crypto";

/**
 * A new message id, cuid-shaped: a time-ordered prefix and the first 16 hex
 * digits of a random UUID (60 random bits: one of those digits is the UUID's
 * version).
 * Chosen by the domain for every write attempt, before the store sees it, so a
 * write whose outcome is unknown can be looked up by it (late-commits.ts).
 */
export const newMessageId = () => `c${Date.now().toString(36)}${randomUUID().replace(/-/g, "").slice(0, 16)}`;
