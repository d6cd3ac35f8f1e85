import { pino, type Logger } from "pino";

/**
 * Structured logs (pino, JSON lines). Every controller logs through a child carrying
 * controller, namespace, name and reconcileID. Nothing secret is ever passed in.
 */
export const rootLogger: Logger = pino({
  level: process.env.STEWARD_LOG_LEVEL ?? "info",
  base: { component: process.env.STEWARD_COMPONENT ?? "steward" },
  timestamp: pino.stdTimeFunctions.isoTime,
  redact: { paths: ["password", "*.password", "secret", "*.secret", "token", "*.token"], censor: "[redacted]" },
});

export type { Logger };
