import path from "node:path";
import type { Env } from "../../env";
import type { DatabaseOptions } from "./database";

export function databaseOptionsFromEnv(env: Pick<Env, "DATABASE_URL" | "DATA_DIR" | "DATABASE_POOL_SIZE">): DatabaseOptions {
  return env.DATABASE_URL
    ? { kind: "postgres", url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE }
    : { kind: "pglite", dataDir: path.resolve(env.DATA_DIR, "pglite") };
}
