import { MAX_BODY_LENGTH, type ChatMessage, type CommandPayload, type Page } from "../../lib/contract";
import { AppError, enforce, forbidden, isAppError, notFound } from "./errors";
import type { LateCommitWatch } from "./late-commits";
import { newMessageId } from "./message-id";
import type { AppendOutcome, MessageDraft, MessagesStore, RateLimits } from "./ports";
import type { Actor, RoomsService } from "./rooms.service";
import type { MessageWriteQueue } from "./write-queue";

function checkBodyLength(body: string): void {
  if (body.length > MAX_BODY_LENGTH) {
    throw new AppError("too_large", `Messages are at most ${MAX_BODY_LENGTH} characters (this one has ${body.length})`);
  }
}

export function createMessagesService(deps: {
  messages: MessagesStore;
  rooms: RoomsService;
  writeQueue: MessageWriteQueue;
  limits: RateLimits;
  lateCommits: LateCommitWatch;
}) {
  const { messages, rooms, writeQueue, limits, lateCommits } = deps;

  async function requireOwnLiveMessage(actor: Actor, messageId: string, allowModerators: boolean): Promise<ChatMessage> {
    const message = await messages.findById(messageId);
    if (!message || message.deletedAt) throw notFound("Message");
    const membership = await rooms.requireMembership(actor, message.roomId);
    const isAuthor = message.author.id === actor.id;
    const moderates = allowModerators && (actor.role === "ADMIN" || membership.role !== "MEMBER");
    if (!isAuthor && !moderates) throw forbidden("Only the author can change this message");
    return message;
  }

  return {
    /**
     * Stores a message and resolves once it is committed. `created` is false when
     * this (author, clientId) was stored before: the caller must not broadcast again.
     */
    async send(actor: Actor, input: CommandPayload<"message:send">): Promise<{ message: ChatMessage; created: boolean }> {
      checkBodyLength(input.body);
      // The rate limit (a Redis round trip in scaled mode) runs while the send
      // waits for its turn to be written; the queue writes it only if it passes.
      const admission = enforce(limits.messages, actor.id, "messages");
      // The author is always the authenticated actor, whatever the payload says.
      const draft: MessageDraft = { id: newMessageId(), authorId: actor.id, clientId: input.clientId, body: input.body };
      let outcome: AppendOutcome;
      try {
        outcome = await writeQueue.append(input.roomId, draft, admission);
      } catch (err) {
        // The database became unreachable mid-write: it may have committed anyway (late-commits.ts).
        if (isAppError(err) && err.code === "unavailable") lateCommits.watch(draft.id);
        throw err;
      }
      if (outcome.status === "rejected") throw new AppError(outcome.code, outcome.message);
      return { message: outcome.message, created: outcome.status === "created" };
    },

    async edit(actor: Actor, input: CommandPayload<"message:edit">): Promise<ChatMessage> {
      checkBodyLength(input.body);
      await enforce(limits.messages, actor.id, "messages");
      await requireOwnLiveMessage(actor, input.messageId, false);
      return messages.update(input.messageId, { body: input.body });
    },

    async delete(actor: Actor, input: CommandPayload<"message:delete">): Promise<ChatMessage> {
      await requireOwnLiveMessage(actor, input.messageId, true);
      return messages.update(input.messageId, { deleted: true });
    },

    async history(actor: Actor, input: CommandPayload<"room:history">): Promise<Page<ChatMessage>> {
      await rooms.requireMembership(actor, input.roomId);
      const rows = await messages.listBefore(input.roomId, input.beforeSeq, input.limit + 1);
      const hasMore = rows.length > input.limit;
      return { messages: hasMore ? rows.slice(1) : rows, hasMore };
    },

    async sync(actor: Actor, input: CommandPayload<"room:sync">): Promise<Page<ChatMessage>> {
      await rooms.requireMembership(actor, input.roomId);
      const rows = await messages.listAfter(input.roomId, input.afterSeq, input.afterChange, input.limit + 1);
      const hasMore = rows.length > input.limit;
      return { messages: hasMore ? rows.slice(0, input.limit) : rows, hasMore };
    },
  };
}
export type MessagesService = ReturnType<typeof createMessagesService>;
