import { randomUUID } from "node:crypto";

/**
 * A new message id, cuid-shaped: a time-ordered prefix and 64 random bits.
 * Chosen by the domain for every write attempt, before the store sees it, so a
 * write whose outcome is unknown can be looked up by it (late-commits.ts).
 */
export const newMessageId = () => `c${Date.now().toString(36)}${randomUUID().replace(/-/g, "").slice(0, 16)}`;
