// Hands the running server's services to Next.js route handlers and server
// components. Next loads its own copies of the modules they import, so a plain
// module-level variable would be a second, empty instance: the one shared
// object lives on globalThis instead.
import type { Env } from "./env";
import type { Services } from "./domain/services";
import type { Logger } from "./logger";

export interface Readiness {
  status: "ok" | "degraded" | "unavailable";
  node: string;
  checks: { database: "up" | "down"; redis: "up" | "down" | "disabled" };
}

export interface AppContext {
  env: Env;
  services: Services;
  logger: Logger;
  readiness(): Promise<Readiness>;
}

const KEY = Symbol.for("parley.app-context");
type Holder = { [KEY]?: AppContext };

export function setAppContext(context: AppContext | undefined): void {
  (globalThis as Holder)[KEY] = context;
}

export function getAppContext(): AppContext {
  const context = (globalThis as Holder)[KEY];
  if (!context) {
    throw new Error("Parley's server is not running in this process: start the app with `npm run dev` or `npm start`.");
  }
  return context;
}
