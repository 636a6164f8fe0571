// The benchmark's load generator spread over several processes: the numbers
// the README publishes come from it, so it is tested like the product. Real
// processes (the bundled load generator and the bare Socket.IO baseline
// server) on loopback; the counts are checked against what the layout implies.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLoadGenerators, type LoadGenerator } from "../../bench/lib/load-generators";
import { buildEntries, startServer, type ServerProcess } from "../../bench/lib/processes";
import type { ClientSpec, Sender } from "../../bench/lib/protocol";

const PROCESSES = 3;
const ROOMS = ["room-a", "room-b", "room-c"];
const CLIENTS = 61; // not a multiple of the process count: blocks of 20, 20, 21
const clients: ClientSpec[] = Array.from({ length: CLIENTS }, (_, i) => ({
  userId: `user-${i}`,
  name: `User ${i}`,
  rooms: [ROOMS[i % ROOMS.length]!],
}));
const membersOf = (room: string) => clients.filter((c) => c.rooms.includes(room)).length;

let server: ServerProcess;
let lg: LoadGenerator;
let url: string;

beforeAll(async () => {
  const entries = await buildEntries();
  server = await startServer({ label: "baseline", entry: entries.baseline, probe: entries.probe, env: { ...process.env, PORT: "0", HOST: "127.0.0.1" } });
  url = server.url;
  lg = startLoadGenerators(entries.loadGenerator, process.env, PROCESSES);
}, 120_000);

afterAll(async () => {
  await lg?.stop();
  await server?.stop();
});

describe("the bench's load generator over several processes", () => {
  it("connects every client, spread over the processes", async () => {
    expect(lg.pids).toHaveLength(PROCESSES);
    const result = await lg.request({ type: "connect", kind: "baseline", urls: [url], clients, concurrency: 30 });
    expect(result).toMatchObject({ firstIndex: 0, connected: CLIENTS, failed: 0 });
    expect(result.latency.count).toBe(CLIENTS);
    expect(result.perSecond).toBeGreaterThan(0);
  });

  it("delivers every fan-out message once to every other member, timed on one clock across processes", async () => {
    // One sender per room, each held by a different process (clients 0, 22 and 44 are in blocks 1, 2 and 3).
    const senders: Sender[] = [0, 22, 44].map((client) => ({ client, roomId: clients[client]!.rooms[0]! }));
    const rate = 20;
    const seconds = 1;
    const run = await lg.request({ type: "fanout", senders, ratePerSender: rate, warmupSeconds: 0.2, seconds, bodyLength: 64 });

    expect(run.sent).toBe(senders.length * rate * seconds);
    const expected = senders.reduce((n, s) => n + rate * seconds * (membersOf(s.roomId) - 1), 0);
    expect(run.expected).toBe(expected);
    expect(run.received).toBe(expected);
    expect(run.latency.count).toBe(expected);
    // A sender's emit time read by a receiver in another process: a clock per process would give
    // negative or wildly large latencies here.
    expect(run.latency.min).toBeGreaterThanOrEqual(0);
    expect(run.latency.max).toBeLessThan(5_000);
    expect(run.ack.count).toBe(run.sent);
    expect(run.ackErrors).toEqual({});
    expect(run.presencePackets).toBe(0);
  });

  it("counts every acked write of senders held by different processes", async () => {
    const senders: Sender[] = [1, 23, 45].map((client) => ({ client, roomId: clients[client]!.rooms[0]! }));
    const run = await lg.request({ type: "throughput", senders, ratePerSender: 30, warmupSeconds: 0, seconds: 1, bodyLength: 64 });
    expect(run.sent).toBe(90);
    expect(run.acked).toBe(90);
    expect(run.ack.count).toBe(90);
    expect(run.unanswered).toBe(0);
  });

  it("refuses a replay whose writer and reader are in different processes", async () => {
    await expect(
      lg.request({ type: "replay", writer: 0, reader: 60, roomId: ROOMS[0]!, missed: 1, repeats: 1, pageSize: 10 }),
    ).rejects.toThrow(/same load-generator process/);
  });

  it("closes every client of every process", async () => {
    expect(await lg.request({ type: "disconnect" })).toEqual({ closed: CLIENTS });
    const again = await lg.request({ type: "connect", kind: "baseline", urls: [url], clients: clients.slice(0, 3), concurrency: 3 });
    expect(again).toMatchObject({ firstIndex: 0, connected: 3 });
  });
});
