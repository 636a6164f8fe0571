// Opens the database for either mode and hands back a Prisma client plus the
// driver adapter factory (the schema engine needs the latter to migrate).
//   no DATABASE_URL        -> embedded PGlite (Postgres compiled to WASM) in a data dir
//   DATABASE_URL=postgres:// -> PostgreSQL through node-postgres
import { mkdir } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "../../../generated/prisma/client";
import { applyMigrations } from "./migrate";

export type DatabaseKind = "pglite" | "postgres";

export type DatabaseOptions =
  /** `dataDir` undefined means an in-memory database (tests). */
  | { kind: "pglite"; dataDir?: string }
  | { kind: "postgres"; url: string; poolSize?: number };

/** A plain SQL statement with `$1`, `$2`... parameters. */
export interface SqlStatement {
  /**
   * Prepares the statement once per connection under this name, and plans it once
   * (PostgreSQL: its generic plan is kept; PGlite plans every time). Needs session
   * pooling, or PgBouncer 1.21+ with `max_prepared_statements`, if a pooler sits in
   * front of PostgreSQL (README, Production).
   */
  name?: string;
  text: string;
  values: unknown[];
}

/**
 * Runs plain SQL (on PostgreSQL, on a small pool of its own beside Prisma's, where
 * prepared statements keep their generic plan); rows come back as objects
 * keyed by column name, timestamps as text (`asDate` in the stores reads them
 * as UTC, as Prisma does, whatever the process's time zone).
 */
export type SqlRunner = <T>(statement: SqlStatement) => Promise<T[]>;

export interface Database {
  kind: DatabaseKind;
  prisma: AppPrismaClient;
  /**
   * For the few hot statements where the Prisma client's own per-call work is
   * most of the cost (the message append: ~0.8 ms of CPU through `$queryRaw`
   * against ~0.3 ms through node-postgres, for the same SQL). Everything else
   * goes through `prisma`.
   */
  sql: SqlRunner;
  adapterFactory: SqlMigrationAwareDriverAdapterFactory;
  /** Resolves when a trivial query succeeds; used by readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

function createPrismaClient(adapter: SqlMigrationAwareDriverAdapterFactory) {
  // Secrets are never selected unless a query asks for them explicitly.
  return new PrismaClient({ adapter, omit: { user: { passwordHash: true } } });
}
export type AppPrismaClient = ReturnType<typeof createPrismaClient>;

const TIMESTAMP_OIDS = [1114, 1184]; // timestamp, timestamptz
const asText = (value: string) => value;
const TIMESTAMPS_AS_TEXT = Object.fromEntries(TIMESTAMP_OIDS.map((oid) => [oid, asText]));
const pgTypeParser = ((oid: number, format?: string) =>
  TIMESTAMP_OIDS.includes(oid) ? asText : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser;

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  let adapterFactory: SqlMigrationAwareDriverAdapterFactory;
  let sql: SqlRunner;
  let closeDriver: () => Promise<void>;
  if (options.kind === "pglite") {
    if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
    // PGlite allows exactly one process per data directory; the server owns it.
    const pglite = await PGlite.create(options.dataDir ?? "memory://");
    adapterFactory = new PrismaPGlite(pglite);
    sql = async <T>({ text, values }: SqlStatement) =>
      (await pglite.query<T>(text, values, { parsers: TIMESTAMPS_AS_TEXT })).rows;
    closeDriver = () => pglite.close();
  } else {
    const poolSize = options.poolSize ?? 10;
    const newPool = (max: number, onConnect?: (client: pg.ClientBase) => Promise<unknown>) => {
      const pool = new pg.Pool({
        connectionString: options.url,
        max,
        // Fail fast when the database is unreachable instead of queueing forever:
        // callers turn this into `unavailable`.
        connectionTimeoutMillis: 3_000,
        // Awaited before the connection is handed out (a "connect" listener
        // would race the first query on it).
        onConnect,
      });
      // An idle connection that dies (database restart) must not crash the process;
      // the next query reports it and the store answers `unavailable`.
      pool.on("error", () => {});
      return pool;
    };
    const prismaPool = newPool(poolSize);
    adapterFactory = new PrismaPg(prismaPool);
    // The hot statements get connections of their own, where PostgreSQL is told
    // to keep the one plan it makes for a prepared statement. Left to choose, it
    // planned the append afresh almost every time (its estimate for a custom plan
    // always looked cheaper), ~1.3 ms of database CPU per statement on this
    // project's 2-core test machine, and the connection profile every time. Their
    // generic plans are made to be right at any table size (see the stores), and
    // tests check both the plans and that they are used. Not for Prisma's pool:
    // its one-off statements are better planned with their values.
    const hotPool = newPool(Math.max(2, Math.ceil(poolSize / 2)), (client) =>
      client.query("SET plan_cache_mode = force_generic_plan"),
    );
    sql = async <T>({ name, text, values }: SqlStatement) =>
      (await hotPool.query<T & pg.QueryResultRow>({ name, text, values, types: { getTypeParser: pgTypeParser } })).rows;
    closeDriver = async () => {
      await Promise.all([prismaPool.end(), hotPool.end()]);
    };
  }
  const prisma = createPrismaClient(adapterFactory);
  return {
    kind: options.kind,
    prisma,
    sql,
    adapterFactory,
    ping: async () => {
      await prisma.$queryRaw`SELECT 1`;
    },
    close: async () => {
      await prisma.$disconnect();
      await closeDriver();
    },
  };
}

/**
 * The adapter with migration scripts sent whole, as one simple-protocol query:
 * @prisma/adapter-pg 7 splits a script at every ";", which cuts a dollar-quoted
 * function body apart (the "member_names" migration creates triggers). PGlite's
 * adapter and Prisma's native engine already run a script whole.
 */
function wholeScripts(factory: SqlMigrationAwareDriverAdapterFactory, pool: pg.Pool): SqlMigrationAwareDriverAdapterFactory {
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => Object.assign(await factory.connect(), { executeScript: async (script: string) => void (await pool.query(script)) }),
    connectToShadowDb: () => factory.connectToShadowDb(),
  };
}

/** Opens the database and brings its schema up to date. */
export async function openMigratedDatabase(
  options: DatabaseOptions,
  log?: (message: string) => void,
): Promise<Database> {
  if (options.kind === "postgres") {
    // The engine holds a session-level advisory lock while it migrates and does
    // not release its connection when freed: migrate over a pool of our own and
    // end it, so the lock is released and other nodes can start.
    const pool = new pg.Pool({ connectionString: options.url, max: 1 });
    try {
      await applyMigrations(wholeScripts(new PrismaPg(pool), pool), log);
    } finally {
      await pool.end();
    }
    return openDatabase(options);
  }
  const db = await openDatabase(options);
  try {
    await applyMigrations(db.adapterFactory, log);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}
