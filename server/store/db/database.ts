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

export interface Database {
  kind: DatabaseKind;
  prisma: AppPrismaClient;
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

/**
 * Hot raw statements start with `/* prepare: <name> *\/` and are prepared once
 * per connection instead of planned at every call: the message append (a large
 * CTE run ~100-400 times a second under load) spent ~0.85 ms of PostgreSQL CPU
 * planning, about a third of its cost. Only marked statements: Prisma's own
 * SQL varies with list lengths, and every named statement stays cached on its
 * connection. An empty name is pg's unnamed statement (planned every time).
 * Behind a transaction-mode pooler (PgBouncer < 1.21) named statements break:
 * drop the marker there.
 */
const PREPARE_MARKER = /^\s*\/\* prepare: ([a-z-]+) \*\//;
const preparedStatementName = (query: { sql: string }): string => PREPARE_MARKER.exec(query.sql)?.[1] ?? "";

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  let adapterFactory: SqlMigrationAwareDriverAdapterFactory;
  let closeDriver: () => Promise<void>;
  if (options.kind === "pglite") {
    if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
    // PGlite allows exactly one process per data directory; the server owns it.
    const pglite = await PGlite.create(options.dataDir ?? "memory://");
    adapterFactory = new PrismaPGlite(pglite);
    closeDriver = () => pglite.close();
  } else {
    const pg = new PrismaPg({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      // Fail fast when the database is unreachable instead of queueing forever:
      // callers turn this into `unavailable`.
      connectionTimeoutMillis: 3_000,
    }, { statementNameGenerator: preparedStatementName });
    adapterFactory = pg;
    closeDriver = async () => {};
  }
  const prisma = createPrismaClient(adapterFactory);
  return {
    kind: options.kind,
    prisma,
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
      await applyMigrations(new PrismaPg(pool), log);
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
