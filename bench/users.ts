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
import { hashPassword } from "../server/domain/passwords";
import { createSocketTokens } from "../server/domain/socket-tokens";
import { loadEnv } from "../server/env";
import { openMigratedDatabase } from "../server/store/db/database";
import { databaseOptionsFromEnv } from "../server/store/db/options";
import { createRooms, createUsers, newTag } from "./lib/seed";

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
  const count = Number(values.count);
  const roomCount = Math.max(1, Number(values.rooms));
  const ttlSeconds = Number(values.ttl);
  if (!Number.isInteger(count) || count < 1) throw new Error("--count must be a positive integer");
  const env = loadEnv();
  if (!process.env.AUTH_SECRET) {
    console.warn("AUTH_SECRET is not set: tokens are signed with the development secret in DATA_DIR (fine for `npm run dev`).");
  }
  const db = await openMigratedDatabase(databaseOptionsFromEnv(env));
  try {
    const tag = newTag();
    const started = Date.now();
    const users = await createUsers(db.prisma, { count, tag, prefix: "load", passwordHash: await hashPassword(values.password!) });
    const rooms = Array.from({ length: roomCount }, (_, r) => ({
      id: `r${tag}load${r}`,
      name: `load-${tag}-${r}`,
      createdById: users[0]!.id,
      members: users.filter((_, i) => i % roomCount === r).map((u) => u.id),
    }));
    await createRooms(db.prisma, rooms);
    const tokens = createSocketTokens({ secret: env.AUTH_SECRET, ttlSeconds });
    const lines: string[] = [];
    const csv: string[] = [];
    for (const [i, user] of users.entries()) {
      const { token, expiresAt } = await tokens.issue({ id: user.id, name: user.name, role: "USER" });
      const roomId = rooms[i % roomCount]!.id;
      lines.push(JSON.stringify({ userId: user.id, name: user.name, email: user.email, roomId, token, expiresAt }));
      csv.push(`${token},${roomId},${user.id}`);
    }
    writeFileSync(values.out!, `${lines.join("\n")}\n`);
    if (values.csv) writeFileSync(values.csv, `${csv.join("\n")}\n`);
    console.log(
      `created ${count} users in ${roomCount} rooms (tag ${tag}) in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
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
