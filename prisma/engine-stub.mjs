#!/usr/bin/env node
// Stands in for Prisma's native schema engine so `prisma generate` works offline.
// Parley migrates with the WebAssembly engine: use `npm run db:migrate` and
// `npm run db:migration -- <name>`. Set PRISMA_SCHEMA_ENGINE_BINARY to a real
// engine to use `prisma migrate` directly.
if (process.argv.includes("--version")) {
  console.log("schema-engine-cli parley-wasm-stub");
  process.exit(0);
}
console.error(
  "Parley: the native Prisma schema engine is not installed.\n" +
    "Use `npm run db:migrate` (apply) or `npm run db:migration -- <name>` (create) instead,\n" +
    "or set PRISMA_SCHEMA_ENGINE_BINARY to a native schema-engine binary.",
);
process.exit(1);
