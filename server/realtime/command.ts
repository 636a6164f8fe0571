// The one place where socket commands are parsed, run and answered. Handler
// modules export tables, `{ "message:send": async (socket, payload) => data }`:
// the payload arrives validated, a thrown AppError becomes an error ack with
// its code, anything else is logged and answered as `internal`. Nothing a
// client sends can crash the process.
//
// PERFORMANCE (bench/, issue 6): the tables are built once per server and every
// socket gets the same `dispatch` function as its only `onAny` listener, which
// Socket.IO calls with the socket as `this`. Registering ~20 `socket.on`
// closures per connection cost several KB of heap per socket (heap snapshots:
// +43 closures, +27 contexts per connection over a bare Socket.IO server).
import type { z } from "zod";
import {
  schemas,
  type Ack,
  type AckResult,
  type ClientToServerEvents,
  type CommandName,
  type CommandPayload,
} from "../../lib/contract";
import { isAppError } from "../domain/errors";
import { createTokenBucket } from "../domain/token-bucket";
import type { Logger } from "../logger";
import type { Metrics } from "../observability/metrics";
import type { ParleySocket } from "./types";

export interface CommandContext {
  logger: Logger;
  metrics?: Metrics;
}

/** What a command's ack carries on success, as the wire contract declares it. */
export type AckData<E extends CommandName> = Parameters<ClientToServerEvents[E]> extends [unknown, Ack<infer T>] ? T : never;

/** Request/response commands: the result is the ack's `data`. */
export type CommandHandlers = {
  [E in CommandName]?: (socket: ParleySocket, payload: CommandPayload<E>) => Promise<AckData<E>>;
};

/** Fire-and-forget events (typing): validated; invalid ones and failures are dropped (failures logged). */
export type SignalHandlers = {
  [E in CommandName]?: (socket: ParleySocket, payload: CommandPayload<E>) => Promise<void> | void;
};

type AnyHandler = (socket: ParleySocket, payload: unknown) => Promise<unknown> | void;
type AnyAck = (result: AckResult<unknown>) => void;

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
}

const isCommandName = (event: string): event is CommandName => Object.hasOwn(schemas, event);

/**
 * Every socket's budget for the commands that have no limit of their own: a
 * burst of 100, then 20 a second. The app's own screens stay far below it
 * (read marks are throttled, a room's members load once when it is shown); a
 * script looping on, say, `room:members` (a membership query and a presence
 * read per member) is answered `rate_limited` instead of keeping the database
 * and Redis busy for everyone. `message:send` has one budget per user across
 * every node (RATE_LIMIT_MESSAGES_PER_10S) and `presence:watch` one per socket
 * (PRESENCE_WATCH_RATE_LIMIT); typing signals are throttled in their handlers.
 */
export const COMMAND_RATE_LIMIT = { capacity: 100, refillPerSecond: 20 } as const;
const LIMITED_ELSEWHERE: ReadonlySet<CommandName> = new Set<CommandName>(["message:send", "presence:watch"]);

const overBudget = (socket: ParleySocket, event: CommandName): boolean =>
  !LIMITED_ELSEWHERE.has(event) && !(socket.data.commandBucket ??= createTokenBucket(COMMAND_RATE_LIMIT)).take();

/**
 * Builds the `onAny` listener shared by every socket of a server. Events
 * without a handler are answered `invalid_payload` when the client asked for
 * an ack (and ignored otherwise), so a typo in a fork's client fails loudly.
 */
export function createDispatcher(ctx: CommandContext, commands: CommandHandlers, signals: SignalHandlers) {
  return function dispatch(this: ParleySocket, event: string, ...args: unknown[]): void {
    const last = args[args.length - 1];
    const ack = typeof last === "function" ? (last as AnyAck) : undefined;
    // `emit(event, ack)` with no payload puts the ack first.
    const raw = ack && args.length === 1 ? undefined : args[0];
    if (isCommandName(event)) {
      const command = commands[event] as AnyHandler | undefined;
      if (command) return void answer(this, ctx, event, command, raw, ack);
      const signal = signals[event] as AnyHandler | undefined;
      if (signal) return runSignal(this, ctx, event, signal, raw);
    }
    ack?.({ ok: false, error: { code: "invalid_payload", message: `Unknown event "${String(event).slice(0, 64)}"` } });
  };
}

async function answer(
  socket: ParleySocket,
  ctx: CommandContext,
  event: CommandName,
  run: AnyHandler,
  raw: unknown,
  ack: AnyAck | undefined,
): Promise<void> {
  const metrics = ctx.metrics;
  metrics?.eventsIn.inc({ event });
  const stopTimer = metrics?.commandDuration.startTimer({ event });
  const reply = (result: AckResult<unknown>) => {
    stopTimer?.();
    metrics?.acks.inc({ event, code: result.ok ? "ok" : result.error.code });
    ack?.(result);
  };
  // Before anything else, so a refused command costs next to nothing.
  if (overBudget(socket, event)) {
    reply({ ok: false, error: { code: "rate_limited", message: "Too many requests. Try again in a second." } });
    return;
  }
  const parsed = schemas[event].safeParse(raw ?? {});
  if (!parsed.success) {
    reply({ ok: false, error: { code: "invalid_payload", message: describeIssues(parsed.error) } });
    return;
  }
  try {
    const data = await run(socket, parsed.data);
    reply({ ok: true, data });
  } catch (err) {
    if (isAppError(err)) {
      reply({ ok: false, error: { code: err.code, message: err.message } });
      return;
    }
    ctx.logger.error({ err, event, socketId: socket.id, userId: socket.data.user.id }, "command failed");
    reply({ ok: false, error: { code: "internal", message: "Something went wrong on our side" } });
  }
}

function runSignal(socket: ParleySocket, ctx: CommandContext, event: CommandName, run: AnyHandler, raw: unknown): void {
  ctx.metrics?.eventsIn.inc({ event });
  const parsed = schemas[event].safeParse(raw ?? {});
  if (!parsed.success) return;
  Promise.resolve()
    .then(() => run(socket, parsed.data))
    .catch((err: unknown) => {
      if (!isAppError(err)) ctx.logger.error({ err, event, socketId: socket.id }, "signal failed");
    });
}
