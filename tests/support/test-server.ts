// A real Parley realtime server on a random port (no Next.js), with real
// socket.io-client clients. What the integration tests build on.
import { randomUUID } from "node:crypto";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { io as connect, type Socket } from "socket.io-client";
import { fromPresenceBatch, type AckResult, type ClientToServerEvents, type PresenceUpdate, type ServerToClientEvents } from "../../lib/contract";
import type { RateLimits } from "../../server/domain/ports";
import { createServices, type Services } from "../../server/domain/services";
import { createRealtime, type Realtime, type RealtimeDeps } from "../../server/realtime/create-realtime";
import { createMemoryPresenceStore } from "../../server/store/memory/presence.store";
import { createPrismaStores } from "../../server/store/prisma";
import { createTestDatabase, type Backend, type TestDatabase } from "./databases";
import { TEST_AUTH_SECRET } from "./node-process";

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface TestServer {
  url: string;
  services: Services;
  database: TestDatabase;
  realtime: Realtime;
  http: HttpServer;
  /** Creates a user and returns a connected client for them. */
  signUpAndConnect(name?: string): Promise<{ user: { id: string; name: string }; socket: ClientSocket }>;
  createUser(name?: string): Promise<{ id: string; name: string; email: string }>;
  connectAs(user: { id: string; name: string; role?: "USER" | "ADMIN" }, options?: { autoConnect?: boolean }): Promise<ClientSocket>;
  close(): Promise<void>;
}

export async function startTestServer(
  backend: Backend,
  options: {
    tokenTtlSeconds?: number;
    database?: TestDatabase;
    timings?: RealtimeDeps["timings"];
    limits?: RateLimits;
    presenceRoomWideMaxMembers?: number;
  } = {},
): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase(backend));
  const services = createServices(createPrismaStores(database.db), {
    authSecret: TEST_AUTH_SECRET,
    socketTokenTtlSeconds: options.tokenTtlSeconds ?? 600,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  const http = createServer();
  const realtime = createRealtime(http, {
    services,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }),
    presence: createMemoryPresenceStore(),
    timings: options.timings,
    presenceRoomWideMaxMembers: options.presenceRoomWideMaxMembers,
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const sockets: ClientSocket[] = [];

  const createUser = async (name = "user") => {
    const email = `${name.toLowerCase().replace(/\W/g, "")}-${randomUUID().slice(0, 8)}@example.test`;
    const user = await services.users.signUp({ email, name, password: "correct horse battery" });
    return { id: user.id, name: user.name, email };
  };

  const connectAs = async (user: { id: string; name: string; role?: "USER" | "ADMIN" }, opts: { autoConnect?: boolean } = {}) => {
    const socket: ClientSocket = connect(url, {
      forceNew: true,
      transports: ["websocket"],
      reconnection: false,
      autoConnect: false,
      // A fresh token at every (re)connect, like the browser does.
      auth: (cb) => {
        void services.tokens.issue({ id: user.id, name: user.name, role: user.role ?? "USER" }).then(({ token }) => cb({ token }));
      },
    });
    sockets.push(socket);
    if (opts.autoConnect === false) return socket;
    await waitForConnect(socket);
    return socket;
  };

  return {
    url,
    services,
    database,
    realtime,
    http,
    createUser,
    connectAs,
    async signUpAndConnect(name) {
      const user = await createUser(name);
      return { user, socket: await connectAs(user) };
    },
    async close() {
      for (const s of sockets) s.disconnect();
      await realtime.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      if (!options.database) await database.dispose();
    },
  };
}

export function waitForConnect(socket: ClientSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
    socket.connect();
  });
}

/** Emits a command and resolves with its ack (fails the test after 10 s). */
export function call<T = unknown>(socket: ClientSocket, event: string, payload?: unknown): Promise<AckResult<T>> {
  const emit = socket.timeout(10_000).emit.bind(socket) as unknown as (
    event: string,
    payload: unknown,
    cb: (err: Error | null, result: AckResult<T>) => void,
  ) => void;
  return new Promise((resolve, reject) => {
    emit(event, payload, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/** Like `call`, but throws unless the ack is ok, returning its data. */
export async function ok<T = unknown>(socket: ClientSocket, event: string, payload?: unknown): Promise<T> {
  const result = await call<T>(socket, event, payload);
  if (!result.ok) throw new Error(`${event} failed: ${result.error.code}: ${result.error.message}`);
  return result.data;
}

/** Collects every payload of a broadcast event. */
export function collect<T>(socket: ClientSocket, event: keyof ServerToClientEvents): T[] {
  const items: T[] = [];
  (socket.on as (e: string, l: (p: T) => void) => void)(event, (p) => items.push(p));
  return items;
}

/** Polls `predicate` until it holds; `what` names it in the timeout error (a function: evaluated then, to say how far it got). */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what: string | (() => string) = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === "function" ? what() : what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Every presence change a socket hears, whether sent alone or in a `presence:batch`. */
export function collectPresence(socket: ClientSocket): PresenceUpdate[] {
  const items: PresenceUpdate[] = [];
  socket.on("presence:changed", (e) => items.push(e));
  socket.on("presence:batch", (batch) => items.push(...fromPresenceBatch(batch)));
  return items;
}
