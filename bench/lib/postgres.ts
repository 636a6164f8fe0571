// The bench's PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL): the server
// each script makes its throwaway database on (scripts/lib/throwaway-database.ts).

export const benchDatabaseUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;

/** For the scripts that only measure PostgreSQL: its URL, or exit 2 saying which variable to set. */
export function requireBenchDatabaseUrl(script: string): string {
  if (benchDatabaseUrl) return benchDatabaseUrl;
  console.error(`${script} runs against PostgreSQL: set BENCH_DATABASE_URL or TEST_DATABASE_URL`);
  process.exit(2);
}
