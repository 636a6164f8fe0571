// Bundles the custom server (server/index.ts and everything it imports from
// this repo) into dist/server.mjs. npm packages stay external and load from
// node_modules at run time. `next build` builds the pages separately; Next's
// standalone output would not include this server, so production runs
// `node dist/server.mjs` next to `.next/` and `node_modules/`.
import { build } from "esbuild";

await build({
  entryPoints: { server: "server/index.ts", "db-migrate": "scripts/db-migrate.ts" },
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "info",
});
