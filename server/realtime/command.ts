// The one place where socket commands are parsed, run and answered. A handler
// module registers `command(socket, "message:send", async (payload) => data)`:
// the payload arrives validated, a thrown AppError becomes an error ack with
// its code, anything else is logged and answered as `internal`. Nothing a
// client sends can crash the process.
import type { z } from "zod";
import { schemas, type AckResult, type CommandName, type CommandPayload } from "../../lib/contract";
import { isAppError } from "../domain/errors";
import type { Logger } from "../logger";
import type { Metrics } from "../observability/metrics";
import type { ParleySocket } from "./types";

export interface CommandContext {
  logger: Logger;
  metrics?: Metrics;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
}

// PERFORMANCE (bench/, issue 6): these run once per command per socket, about
// twenty times for every connection, so they allocate as little as possible:
// one listener closure each (no bound `socket.on`, no per-socket `answer`
// closure); the work is in module-level functions.
type AnyListener = (...args: unknown[]) => void;
// The typed `socket.on` cannot express "any command"; the contract types are
// enforced on the handler's payload and result instead.
const listen = (socket: ParleySocket, event: string, listener: AnyListener) =>
  (socket.on as unknown as (this: ParleySocket, event: string, listener: AnyListener) => ParleySocket).call(socket, event, listener);

export function command<E extends CommandName, T>(
  socket: ParleySocket,
  ctx: CommandContext,
  event: E,
  run: (payload: CommandPayload<E>) => Promise<T>,
): void {
  listen(socket, event, (...args: unknown[]) => {
    const maybeAck = args[args.length - 1];
    const ack = typeof maybeAck === "function" ? (maybeAck as (r: AckResult<T>) => void) : undefined;
    // `emit(event, ack)` with no payload puts the ack first.
    const raw = args.length > 1 || !ack ? args[0] : undefined;
    void answer(socket, ctx, event, run, raw, ack);
  });
}

async function answer<E extends CommandName, T>(
  socket: ParleySocket,
  ctx: CommandContext,
  event: E,
  run: (payload: CommandPayload<E>) => Promise<T>,
  raw: unknown,
  ack: ((r: AckResult<T>) => void) | undefined,
): Promise<void> {
  const metrics = ctx.metrics;
  metrics?.eventsIn.inc({ event });
  const stopTimer = metrics?.commandDuration.startTimer({ event });
  const reply = (result: AckResult<T>) => {
    stopTimer?.();
    metrics?.acks.inc({ event, code: result.ok ? "ok" : result.error.code });
    ack?.(result);
  };
  const parsed = schemas[event].safeParse(raw ?? {});
  if (!parsed.success) {
    reply({ ok: false, error: { code: "invalid_payload", message: describeIssues(parsed.error) } });
    return;
  }
  try {
    const data = await run(parsed.data as CommandPayload<E>);
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

/** Fire-and-forget events (typing): validated, errors swallowed after logging. */
export function signal<E extends CommandName>(
  socket: ParleySocket,
  ctx: CommandContext,
  event: E,
  run: (payload: CommandPayload<E>) => Promise<void> | void,
): void {
  listen(socket, event, (raw: unknown) => {
    const parsed = schemas[event].safeParse(raw ?? {});
    if (!parsed.success) return;
    Promise.resolve()
      .then(() => run(parsed.data as CommandPayload<E>))
      .catch((err: unknown) => {
        if (!isAppError(err)) ctx.logger.error({ err, event, socketId: socket.id }, "signal failed");
      });
  });
}
