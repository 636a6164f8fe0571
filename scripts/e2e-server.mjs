// Starts Parley for the Playwright tests: a production build (built here if
// missing or stale) in embedded mode with a fresh data directory.
import { spawn, spawnSync } from "node:child_process";
import { rmSync } from "node:fs";

// One data directory per port, so runs on different ports do not wipe each other.
const dataDir = `.tmp/e2e-data-${process.env.PORT ?? 3100}`;
rmSync(dataDir, { recursive: true, force: true });
rmSync(`${dataDir}-big-room.jsonl`, { force: true });

if (process.env.E2E_SKIP_BUILD !== "1") {
  const built = spawnSync("npm", ["run", "build"], { stdio: "inherit" });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

const env = {
  ...process.env,
  NODE_ENV: "production",
  DATA_DIR: dataDir,
  AUTH_SECRET: process.env.AUTH_SECRET ?? "e2e-secret-e2e-secret-e2e-secret-0123456789",
  APP_URL: `http://127.0.0.1:${process.env.PORT ?? 3100}`,
  LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
  // e2e/big-room.spec.ts: its room of 300 is "big" at this limit (the default is 5,000).
  PRESENCE_ROOM_WIDE_MAX_MEMBERS: "250",
  NEXT_TELEMETRY_DISABLED: "1",
};
// Embedded mode only: the quick-start path is what the e2e tests prove.
delete env.DATABASE_URL;
delete env.REDIS_URL;

// A room too big for room-wide presence (PRESENCE_ROOM_WIDE_MAX_MEMBERS is 250 here),
// seeded through the bulk tool before the server opens the data directory
// (one process at a time). e2e/big-room.spec.ts signs in as its users.
const seeded = spawnSync(
  process.execPath,
  ["--import", "tsx", "bench/users.ts", "--count", "300", "--rooms", "1", "--out", `${dataDir}-big-room.jsonl`],
  { stdio: "inherit", env },
);
if (seeded.status !== 0) process.exit(seeded.status ?? 1);

const server = spawn(process.execPath, ["dist/server.mjs"], { stdio: "inherit", env });
const stop = (signal) => server.kill(signal);
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));
server.on("exit", (code) => process.exit(code ?? 0));
