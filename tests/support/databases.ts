// Real databases for integration tests: an in-memory PGlite always, plus a
// throwaway PostgreSQL database when TEST_DATABASE_URL or DATABASE_URL is set
// (CI sets it). Each call creates a fresh, migrated database.
import { randomBytes } from "node:crypto";
import pg from "pg";
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
  const name = `parley_test_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  const db = await openMigratedDatabase({ kind: "postgres", url: url.toString(), poolSize: 10 });
  return {
    db,
    url: url.toString(),
    async dispose() {
      await db.close();
      const cleanup = new pg.Client({ connectionString: postgresUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
