// Applies pending migrations to the configured database (the same step the
// server runs at start):   npm run db:migrate
import { loadEnv } from "../server/env";
import { openMigratedDatabase } from "../server/store/db/database";
import { databaseOptionsFromEnv } from "../server/store/db/options";

async function main(): Promise<void> {
  const env = loadEnv();
  const db = await openMigratedDatabase(databaseOptionsFromEnv(env), (m) => console.log(m));
  await db.close();
  console.log(`database is up to date (${db.kind})`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
