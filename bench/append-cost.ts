// What one group-commit statement costs PostgreSQL by batch size, with nothing
// else running: the floor under the write path's ack latency, and a check of the
// machine itself (run it before and after a bench: if it moved, so did the box).
//
//   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/append-cost.ts [--sizes 1,5,15,30,60] [--messages 3000]
//
// A throwaway database (migrated like a server's, removed at the end) with the
// write path's shape: 20 authors in 10 rooms of 2. Each size sends `--messages`
// messages in statements of that size, one after another, through the store a
// node writes with (appendBatch: the same prepared statement and generic plan),
// and reads the WAL position around them.
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import pg from "pg";
import { createThrowawayDatabase } from "../scripts/lib/throwaway-database";
import { newMessageId } from "../server/domain/message-id";
import { openMigratedDatabase } from "../server/store/db/database";
import { createPrismaMessagesStore } from "../server/store/prisma/messages.store";
import { newTag } from "./lib/seed";
import { requireBenchDatabaseUrl } from "./lib/postgres";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "1,5,15,30,60" },
    messages: { type: "string", default: "3000" },
  },
});
const sizes = values.sizes.split(",").map(Number);
const messagesPerSize = Number(values.messages);
const adminUrl = requireBenchDatabaseUrl("append-cost");

const AUTHORS = 20;
const ROOMS = 10;
const database = await createThrowawayDatabase(adminUrl, `parley_append_${newTag()}`);
const db = await openMigratedDatabase({ kind: "postgres", url: database.url, poolSize: 2 });
const store = createPrismaMessagesStore(db);
const wal = new pg.Client({ connectionString: database.url });

try {
  const authors = Array.from({ length: AUTHORS }, (_, i) => ({ id: `a${i}`, name: `author ${i}`, email: `a${i}@append.test`, passwordHash: "-" }));
  await db.prisma.user.createMany({ data: authors });
  await db.prisma.room.createMany({ data: Array.from({ length: ROOMS }, (_, r) => ({ id: `r${r}`, name: `room ${r}`, createdById: `a${r}` })) });
  await db.prisma.membership.createMany({ data: authors.map((a, i) => ({ roomId: `r${i % ROOMS}`, userId: a.id })) });
  await wal.connect();
  const walPosition = async () => {
    const { rows } = await wal.query<{ bytes: string }>("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS bytes");
    return Number(rows[0]!.bytes);
  };

  let sent = 0;
  const measure = async (size: number) => {
    const statements = Math.max(20, Math.ceil(messagesPerSize / size));
    const walBefore = await walPosition();
    const started = performance.now();
    for (let s = 0; s < statements; s++) {
      const drafts = Array.from({ length: size }, () => {
        const author = sent++ % AUTHORS;
        return { roomId: `r${author % ROOMS}`, authorId: `a${author}`, clientId: randomUUID(), body: "x".repeat(64), id: newMessageId() };
      });
      const outcomes = await store.appendBatch(drafts);
      if (outcomes.some((o) => o.status !== "created")) throw new Error(`a draft was not created: ${JSON.stringify(outcomes.find((o) => o.status !== "created"))}`);
    }
    const ms = (performance.now() - started) / statements;
    return { size, statements, ms, walBytes: (await walPosition()) - walBefore };
  };

  await measure(15); // warm-up: plans, caches, a few thousand rows in the table
  console.log(`append statement cost, PostgreSQL, one connection, ${messagesPerSize} messages per size\n`);
  console.log("| messages per statement | statements | ms per statement | ms per message | WAL per message (bytes) |");
  console.log("|---|---|---|---|---|");
  for (const size of sizes) {
    const r = await measure(size);
    console.log(`| ${r.size} | ${r.statements} | ${r.ms.toFixed(2)} | ${(r.ms / r.size).toFixed(3)} | ${Math.round(r.walBytes / (r.statements * r.size))} |`);
  }
} finally {
  await wal.end().catch(() => undefined);
  await db.close();
  await database.drop();
}
