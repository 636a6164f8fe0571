import { AppError, unavailable } from "../../domain/errors";
import { Prisma } from "../../../generated/prisma/client";

const CONNECTION_ERROR_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);
const CONNECTION_ERROR_TEXT = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection terminated|connection timeout|timeout exceeded when trying to connect|terminating connection|Can't reach database|the database system is (shutting down|starting up)|Client has encountered a connection error|Connection closed|socket hang up/i;

export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002";
}

export function isConnectionError(err: unknown): boolean {
  if (err instanceof Prisma.PrismaClientKnownRequestError && CONNECTION_ERROR_CODES.has(err.code)) return true;
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
