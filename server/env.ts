// The one place that reads process.env. Every variable is validated here, so a
// bad value stops the server at start with a message naming the variable,
// instead of failing later somewhere deep. Documented in .env.example.
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { z } from "zod";
import { PRESENCE_ROOM_WIDE_MAX_MEMBERS } from "../lib/contract/limits";

const emptyToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(emptyToUndefined, schema.optional());

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  HOST: z.string().default("0.0.0.0"),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  /** Public URL of the app; used by next-auth for redirects. */
  APP_URL: optional(z.url()),
  /** postgres://... selects PostgreSQL; unset selects embedded PGlite in DATA_DIR. */
  DATABASE_URL: optional(
    z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL (unset it for embedded PGlite)"),
  ),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** Group-commit transactions of messages in flight at once (of disjoint rooms); see server/domain/write-queue.ts. */
  DATABASE_WRITE_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(1),
  /** redis://... enables the Redis adapter and Redis-backed shared state. */
  REDIS_URL: optional(z.string().regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL")),
  /** Prefix of every Redis key and channel Parley uses, so several deployments (or test runs) can share a Redis. */
  REDIS_PREFIX: z.string().regex(/^[\w.:-]{1,64}$/, "letters, digits, '_', '.', ':' or '-' (at most 64)").default("parley"),
  /** Where the embedded database and the generated development secret live. */
  DATA_DIR: z.string().default(".data"),
  /** Signs sessions and socket tokens. Required in production (at least 32 characters). */
  AUTH_SECRET: optional(z.string().min(32, "must be at least 32 characters (try: openssl rand -base64 32)")),
  /** Lifetime of a socket token. Clients renew before it runs out. */
  SOCKET_TOKEN_TTL_SECONDS: z.coerce.number().int().min(10).max(86_400).default(600),
  /** Rate limits, per user (messages, rooms) or per email (sign-in), on all nodes together. */
  RATE_LIMIT_MESSAGES_PER_10S: z.coerce.number().int().min(1).default(50),
  RATE_LIMIT_ROOMS_PER_HOUR: z.coerce.number().int().min(1).default(20),
  RATE_LIMIT_AUTH_PER_15M: z.coerce.number().int().min(1).default(20),
  /** Comma-separated emails whose accounts are admins when they sign up. */
  ADMIN_EMAILS: z
    .string()
    .default("")
    .transform((v) => v.split(",").map((e) => e.trim().toLowerCase()).filter(Boolean)),
  /** Bearer token for GET /metrics; unset means only requests from this machine are answered. */
  METRICS_TOKEN: optional(z.string().min(16, "must be at least 16 characters")),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Name of this server process in logs, metrics and /api/ready. */
  NODE_ID: z.string().min(1).max(64).default(`${hostname()}-${process.pid}`),
  /** Rooms of more members get presence only by `presence:watch` (see lib/contract/limits.ts; the browser is told). */
  PRESENCE_ROOM_WIDE_MAX_MEMBERS: z.coerce.number().int().min(2).max(1_000_000).default(PRESENCE_ROOM_WIDE_MAX_MEMBERS),
  /** Seconds a SIGTERM'd server waits for in-flight writes before it exits anyway. */
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).max(120).default(10),
});

export type RawEnv = z.infer<typeof envSchema>;
export type Env = Omit<RawEnv, "AUTH_SECRET" | "APP_URL"> & { AUTH_SECRET: string; APP_URL: string };

export class EnvError extends Error {
  override name = "EnvError";
}

/** Validates the environment. Throws an EnvError that names each bad variable. */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new EnvError(`Invalid environment:\n${lines.join("\n")}\nSee .env.example for every variable.`);
  }
  const raw = parsed.data;
  return {
    ...raw,
    AUTH_SECRET: raw.AUTH_SECRET ?? developmentSecret(raw),
    APP_URL: raw.APP_URL ?? `http://localhost:${raw.PORT}`,
  };
}

// With no AUTH_SECRET in development, generate one and keep it in the data
// directory so sessions survive restarts. Never in production.
function developmentSecret(raw: RawEnv): string {
  if (raw.NODE_ENV === "production") {
    throw new EnvError("Invalid environment:\n  AUTH_SECRET: required in production (try: openssl rand -base64 32)");
  }
  const file = path.resolve(raw.DATA_DIR, "auth-secret");
  try {
    const existing = readFileSync(file, "utf8").trim();
    if (existing.length >= 32) return existing;
  } catch {
    // not there yet
  }
  const secret = randomBytes(32).toString("base64url");
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
