import pg from "pg";
import type { TestDatabase } from "./databases";

/**
 * The plan PostgreSQL caches for a prepared statement once it goes generic
 * (plan_cache_mode = force_generic_plan), as EXPLAIN text. `args`: the
 * parameter list as SQL, e.g. "ARRAY['a']::text[]". PREPARE and EXECUTE need
 * one session: PGlite has only one; for PostgreSQL a dedicated client.
 */
export async function genericPlanOf(database: TestDatabase, statement: string, args: string): Promise<string> {
  const explain = async (query: (text: string) => Promise<Record<string, unknown>[]>) => {
    await query("SET plan_cache_mode = force_generic_plan");
    await query(`PREPARE generic_plan_probe AS ${statement}`);
    try {
      const rows = await query(`EXPLAIN EXECUTE generic_plan_probe(${args})`);
      return rows.map((row) => String(Object.values(row)[0])).join("\n");
    } finally {
      await query("DEALLOCATE generic_plan_probe");
      await query("RESET plan_cache_mode");
    }
  };
  if (!database.url) return explain((text) => database.db.sql({ text, values: [] }));
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return await explain(async (text) => (await client.query(text)).rows);
  } finally {
    await client.end();
  }
}
