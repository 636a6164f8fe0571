// What one machine's numbers are worth next to another's. Everything this bench
// measures is sockets on loopback (clients, PostgreSQL, Redis), and what a
// loopback write costs varies several-fold between machines and VMs with the
// same core count (the same commit's write-path p99 was 28-46 ms on one 2-core
// VM and ~1 s on another). The report prints this beside the core count.
import { createConnection, createServer, type AddressInfo } from "node:net";
import { summarize, type Summary } from "./stats";

/**
 * Milliseconds for a fixed piece of JavaScript work (encoding and decoding 1,000
 * chat-message-shaped objects, 40 times; the best of 10 rounds, so the first
 * ones warm the JIT up), taken at the start and the end of a run. On a machine
 * that did not change they match; a VM whose host took cycles away shows it
 * (one such VM ran this bench's append statement twice as slowly an hour later,
 * with no steal time reported).
 */
export function cpuWorkMs(): number {
  const messages = Array.from({ length: 1_000 }, (_, i) => ({
    id: `c${i.toString(36).padStart(24, "0")}`,
    roomId: "croom0000000000000000000",
    seq: i,
    body: "x".repeat(64),
    author: { id: "cuser0000000000000000000", name: "Someone" },
  }));
  let best = Infinity;
  for (let round = 0; round < 10; round++) {
    const started = performance.now();
    for (let k = 0; k < 40; k++) JSON.parse(JSON.stringify(messages));
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

/** Round trips of a 16-byte message over a loopback TCP connection, one at a time, in ms. */
export async function loopbackRoundTrips(count = 2_000): Promise<Summary> {
  const server = createServer((socket) => socket.pipe(socket)); // echo
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const client = createConnection({ port: (server.address() as AddressInfo).port, host: "127.0.0.1", noDelay: true });
  await new Promise<void>((resolve, reject) => client.once("connect", resolve).once("error", reject));
  const message = Buffer.alloc(16, 1);
  const times: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      await new Promise<void>((resolve) => {
        let received = 0;
        const onData = (chunk: Buffer) => {
          received += chunk.length;
          if (received < message.length) return;
          client.off("data", onData);
          resolve();
        };
        client.on("data", onData);
        client.write(message);
      });
      times.push(performance.now() - started);
    }
  } finally {
    client.destroy();
    server.close();
  }
  return summarize(times);
}
