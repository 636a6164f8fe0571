// The client socket the load generator holds, whichever implementation is
// behind it: the lean client (default, bench/lib/lean-client.ts) or
// socket.io-client 4.8 (`--client socket.io`, how runs before the tenth VM
// were measured). Only what the load generator uses.
import { io } from "socket.io-client";
import { LeanSocket } from "./lean-client";

export type ClientKind = "lean" | "socket.io";
export const CLIENT_KINDS: readonly ClientKind[] = ["lean", "socket.io"];

export interface BenchSocket {
  readonly connected: boolean;
  on(event: string, listener: (arg: never) => void): void;
  emit(event: string, arg: unknown, ack?: (result: never) => void): void;
  emitWithAck<T>(event: string, arg: unknown, timeoutMs: number): Promise<T>;
  /** Resolves once the server accepted the handshake; rejects with the server's refusal message or a timeout. */
  connect(timeoutMs: number): Promise<void>;
  disconnect(): void;
  removeAllListeners(): void;
}

export function createBenchSocket(kind: ClientKind, url: string, auth: Record<string, unknown>): BenchSocket {
  return kind === "lean" ? new LeanSocket(url, auth) : socketIoClient(url, auth);
}

function socketIoClient(url: string, auth: Record<string, unknown>): BenchSocket {
  const socket = io(url, { forceNew: true, transports: ["websocket"], reconnection: false, autoConnect: false, timeout: 180_000, auth });
  return {
    get connected() {
      return socket.connected;
    },
    on: (event, listener) => void socket.on(event as never, listener as never),
    emit: (event, arg, ack) => void (ack ? socket.emit(event as never, arg as never, ack as never) : socket.emit(event as never, arg as never)),
    emitWithAck: (event, arg, timeoutMs) => socket.timeout(timeoutMs).emitWithAck(event as never, arg as never),
    connect: (timeoutMs) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => fail(new Error("connect timeout")), timeoutMs);
        const ok = () => {
          clearTimeout(timer);
          socket.off("connect_error", fail);
          resolve();
        };
        const fail = (err: Error) => {
          clearTimeout(timer);
          socket.off("connect", ok);
          socket.off("connect_error", fail);
          reject(err);
        };
        socket.once("connect", ok);
        socket.once("connect_error", fail);
        socket.connect();
      }),
    disconnect: () => void socket.disconnect(),
    removeAllListeners: () => void socket.removeAllListeners(),
  };
}
