// Bundles the custom server (server/index.ts and everything it imports from
// this repo) into dist/server.mjs. npm packages stay external and load from
// node_modules at run time. `next build` builds the pages separately; Next's
// standalone output would not include this server, so production runs
// `node dist/server.mjs` next to `.next/` and `node_modules/`.
import path from "node:path";
import { build, type BuildOptions } from "esbuild";

/**
 * What every Node bundle of this repo shares: this server's, and the processes
 * `npm run bench` measures (bench/lib/processes.ts), so those run the same
 * kind of code as production. ES modules for Node 20; npm packages external.
 */
export const NODE_BUNDLE = {
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: true,
} satisfies BuildOptions;

if (path.resolve(process.argv[1] ?? "") === import.meta.filename) {
  await build({
    ...NODE_BUNDLE,
    entryPoints: { server: "server/index.ts", "db-migrate": "scripts/db-migrate.ts" },
    outdir: "dist",
    logLevel: "info",
  });
}
