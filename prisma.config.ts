// Configuration for the Prisma CLI (generate, validate, format; migrate if you
// have the native engine). The app itself never reads this file.
import path from "node:path";
import { defineConfig } from "prisma/config";

// The Prisma CLI insists on asking its native schema engine for `--version`,
// even for `prisma generate`, and downloads that engine from the internet.
// Parley creates and applies migrations with the WebAssembly engine instead
// (scripts/db-migration.ts, server/store/db/migrate.ts), so unless you point this
// at a real engine binary, a small stub answers the version check.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.join(import.meta.dirname, "prisma", "engine-stub.mjs");

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  // Only used by `prisma migrate deploy` / `prisma studio` with the native engine.
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost:5432/parley" },
});
