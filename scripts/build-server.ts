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

/**
 * Node flags the production server runs with: `npm start` and the Dockerfile's
 * CMD pass them (scripts/production-flags.test.ts checks both), and the bench
 * gives them to every server it measures.
 *
 * --v8-pool-size=0: V8's helper threads (concurrent marking and sweeping,
 * parallel scavenges) sized to the machine, one per core but one (at least
 * one: checked under `taskset -c 0`), instead of Node's fixed four. A node
 * holding 10,000 sockets has ~140 MB of live heap to
 * mark in each full collection; on a 2-core machine that it shares with
 * PostgreSQL, four helpers marking at once took the cores from the event loop
 * and the database (event-loop stalls of 130-180 ms, write-path ack p99
 * 206-273 ms in 40-s windows at 3,000 msg/s; with one helper 42-102 ms and
 * 112-208 ms: docs/performance-log.md, "The thirteenth VM").
 */
export const PRODUCTION_NODE_FLAGS = ["--v8-pool-size=0"];

if (path.resolve(process.argv[1] ?? "") === import.meta.filename) {
  await build({
    ...NODE_BUNDLE,
    entryPoints: { server: "server/index.ts", "db-migrate": "scripts/db-migrate.ts" },
    outdir: "dist",
    logLevel: "info",
  });
}
