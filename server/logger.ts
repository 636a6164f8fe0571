import pino, { type Logger } from "pino";

export type { Logger };

/**
 * Structured JSON logs (pretty in development). Every line carries the node id.
 * Never log secrets or message bodies at info level.
 */
export function createLogger(options: { level: string; nodeId: string; pretty: boolean }): Logger {
  return pino({
    level: options.level,
    base: { node: options.nodeId },
    redact: { paths: ["password", "*.password", "token", "*.token", "body", "*.body"], censor: "[redacted]" },
    ...(options.pretty
      ? { transport: { target: "pino-pretty", options: { colorize: true, ignore: "pid,hostname", translateTime: "HH:MM:ss.l" } } }
      : {}),
  });
}
