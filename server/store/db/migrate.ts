import path from "node:path";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { NO_FILTERS, openSchemaEngine, readMigrationList } from "./schema-engine";

/** Where `prisma/migrations` lives, relative to the working directory (the repo root or the image's /app). */
export const MIGRATIONS_DIR = path.resolve(process.env.PARLEY_MIGRATIONS_DIR ?? "prisma/migrations");

/**
 * Applies every migration in `prisma/migrations` that the database has not seen,
 * in order, exactly like `prisma migrate deploy`. Idempotent; safe to run at
 * every start (concurrent starts are serialised by the engine's advisory lock).
 */
export async function applyMigrations(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  log: (message: string) => void = () => {},
  migrationsDir: string = MIGRATIONS_DIR,
): Promise<string[]> {
  const engine = await openSchemaEngine(adapterFactory);
  try {
    const migrationsList = await readMigrationList(migrationsDir);
    const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: NO_FILTERS });
    for (const name of appliedMigrationNames) log(`applied migration ${name}`);
    return appliedMigrationNames;
  } finally {
    engine.free();
  }
}
