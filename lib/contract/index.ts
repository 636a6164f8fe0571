export * from "./errors";
export * from "./events";
export * from "./limits";
export * from "./presence-batch";
export * from "./schemas";
export * from "./types";
