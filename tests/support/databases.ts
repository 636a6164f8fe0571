// Real databases for integration tests: an in-memory PGlite always, plus a
// throwaway PostgreSQL database when TEST_DATABASE_URL or DATABASE_URL is set
// (CI sets it). Each call creates a fresh, migrated database.
import { randomBytes } from "node:crypto";
import { createThrowawayDatabase } from "../../scripts/lib/throwaway-database";
import { openMigratedDatabase, type Database } from "../../server/store/db/database";

export const postgresUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;

export type Backend = "pglite" | "postgres";
export const backends: Backend[] = postgresUrl ? ["pglite", "postgres"] : ["pglite"];

export interface TestDatabase {
  db: Database;
  /** For processes started by the test (only for postgres). */
  url: string | undefined;
  dispose(): Promise<void>;
}

export async function createTestDatabase(backend: Backend): Promise<TestDatabase> {
  if (backend === "pglite") {
    const db = await openMigratedDatabase({ kind: "pglite" });
    return { db, url: undefined, dispose: () => db.close() };
  }
  if (!postgresUrl) throw new Error("postgres backend needs TEST_DATABASE_URL or DATABASE_URL");
  const database = await createThrowawayDatabase(postgresUrl, `parley_test_${randomBytes(5).toString("hex")}`);
  const db = await openMigratedDatabase({ kind: "postgres", url: database.url, poolSize: 10 });
  return {
    db,
    url: database.url,
    async dispose() {
      await db.close();
      await database.drop();
    },
  };
}
