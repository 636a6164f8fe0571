// Creates N users (and rooms for them) in bulk, and writes a socket token for
// each: what an external load tester (Artillery, k6, your own script) needs.
//   npm run bench:users -- --count 1000 --out tokens.jsonl [--csv tokens.csv] [--rooms 10] [--ttl 3600]
// Uses the server's configuration (DATABASE_URL, or the embedded PGlite in DATA_DIR,
// which must not be open in a running server at the same time; AUTH_SECRET: the
// same secret as the server under test, or its tokens will be refused).
// Users are written straight through Prisma with one pre-computed argon2 hash
// (password: --password), so they can also sign in through /api/token.
// Each line of the JSONL: {"userId","name","email","roomId","token","expiresAt"};
// the CSV has the columns token,roomId,userId (no header) for Artillery's payload.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadEnv } from "../server/env";
import { openMigratedDatabase } from "../server/store/db/database";
import { databaseOptionsFromEnv } from "../server/store/db/options";
import { createLoadUsers, toArtilleryCsv, toJsonLines } from "./lib/load-users";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "1000" },
    rooms: { type: "string", default: "10" },
    out: { type: "string", default: "tokens.jsonl" },
    csv: { type: "string" },
    ttl: { type: "string", default: "3600" },
    password: { type: "string", default: "bench password" },
  },
});

async function main(): Promise<void> {
  const env = loadEnv();
  if (!process.env.AUTH_SECRET) {
    console.warn("AUTH_SECRET is not set: tokens are signed with the development secret in DATA_DIR (fine for `npm run dev`).");
  }
  const db = await openMigratedDatabase(databaseOptionsFromEnv(env));
  try {
    const started = Date.now();
    const ttlSeconds = Number(values.ttl);
    const { tag, users } = await createLoadUsers(db.prisma, {
      count: Number(values.count),
      rooms: Number(values.rooms),
      secret: env.AUTH_SECRET,
      ttlSeconds,
      password: values.password!,
    });
    writeFileSync(values.out!, toJsonLines(users));
    if (values.csv) writeFileSync(values.csv, toArtilleryCsv(users));
    console.log(
      `created ${users.length} users in ${Math.max(1, Number(values.rooms))} rooms (tag ${tag}) in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
        `tokens valid ${ttlSeconds} s -> ${values.out}${values.csv ? `, ${values.csv}` : ""}`,
    );
  } finally {
    await db.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
