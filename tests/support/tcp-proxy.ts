// A TCP proxy between the server and PostgreSQL that a test can cut and
// restore: a real network failure (connections reset, new ones refused), not a
// mocked driver.
import { createServer, connect, type Socket, type Server } from "node:net";
import type { AddressInfo } from "node:net";

export interface TcpProxy {
  port: number;
  /** Resets every open connection and refuses new ones. */
  cut(): void;
  restore(): void;
  /**
   * The next request any client sends still reaches the server, but its answer
   * never comes back: the proxy holds it, and resets that connection after
   * `afterMs`. To the client, a connection that died after the server acted on
   * the request (a COMMIT that took effect, its answer lost).
   */
  loseNextAnswer(afterMs?: number): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let down = false;
  let loseAnswerAfterMs: number | undefined;
  const server: Server = createServer((client) => {
    if (down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const teardown = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("error", teardown).on("close", teardown);
    upstream.on("error", teardown).on("close", teardown);
    client.pipe(upstream);
    upstream.pipe(client);
    // Registered after pipe's own listener: the request is already on its way upstream.
    client.on("data", () => {
      if (loseAnswerAfterMs === undefined) return;
      const afterMs = loseAnswerAfterMs;
      loseAnswerAfterMs = undefined;
      upstream.unpipe(client);
      upstream.pause();
      setTimeout(() => {
        client.resetAndDestroy();
        upstream.destroy();
      }, afterMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      down = true;
      for (const socket of open) socket.resetAndDestroy();
      open.clear();
    },
    restore() {
      down = false;
    },
    loseNextAnswer(afterMs = 300) {
      loseAnswerAfterMs = afterMs;
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
