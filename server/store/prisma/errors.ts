import { AppError, unavailable } from "../../domain/errors";
import { Prisma } from "../../../generated/prisma/client";

const CONNECTION_ERROR_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);
const CONNECTION_ERROR_TEXT = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection terminated|connection timeout|timeout exceeded when trying to connect|terminating connection|Can't reach database|the database system is (shutting down|starting up)|Client has encountered a connection error|Connection closed|socket hang up/i;

export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002";
}

/** Driver adapter error kinds that mean "the database is unreachable", as raw queries report them (P2010). */
const CONNECTION_ADAPTER_KINDS = new Set(["ConnectionClosed", "DatabaseNotReachable", "SocketTimeout", "TooManyConnections", "TlsConnectionError"]);

/** The driver adapter's error kind behind a Prisma error (raw queries carry it in meta), if any. */
export function adapterErrorKind(err: unknown): string | undefined {
  const meta = (err as { meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } } | null)?.meta;
  const kind = meta?.driverAdapterError?.cause?.kind;
  return typeof kind === "string" ? kind : undefined;
}

export function isConnectionError(err: unknown): boolean {
  if (err instanceof Prisma.PrismaClientKnownRequestError && CONNECTION_ERROR_CODES.has(err.code)) return true;
  if (CONNECTION_ADAPTER_KINDS.has(adapterErrorKind(err) ?? "")) return true;
  if (err instanceof Prisma.PrismaClientInitializationError) return true;
  const text = err instanceof Error ? `${err.message} ${String((err as { cause?: unknown }).cause ?? "")}` : String(err);
  return CONNECTION_ERROR_TEXT.test(text);
}

/** Runs a store operation, turning "the database is down" into AppError("unavailable"). */
export async function guard<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (isConnectionError(err)) throw unavailable();
    throw err;
  }
}
