// A PostgreSQL database that exists for one test suite or one benchmark run:
// created next to the databases `adminUrl` reaches, dropped (with whoever is
// still connected) when the caller is done.
import pg from "pg";

export interface ThrowawayDatabase {
  /** `adminUrl` with the new database's name. */
  url: string;
  drop(): Promise<void>;
}

/** `name`: a valid unquoted identifier, unique for this run (e.g. `parley_test_<random>`). */
export async function createThrowawayDatabase(adminUrl: string, name: string): Promise<ThrowawayDatabase> {
  const admin = (work: (client: pg.Client) => Promise<unknown>) => async () => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await work(client);
    } finally {
      await client.end();
    }
  };
  await admin((c) => c.query(`CREATE DATABASE ${name}`))();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)) };
}
