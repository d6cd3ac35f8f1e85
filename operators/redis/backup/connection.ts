/** How Jobs' ioredis connections reach a cluster that serves TLS (endpoint.caFile from STEWARD_TLS_CA). */
import { readFileSync } from "node:fs";
import type { Redis, RedisOptions } from "ioredis";
import type { EngineEndpoint } from "../../../backup/engine-backup.js";

/** TLS verifying the chain against the cluster's CA and the host name against the certificate; nothing without a CA file. */
export function tlsOptions(endpoint: EngineEndpoint): Pick<RedisOptions, "tls"> {
  return endpoint.caFile && !endpoint.socket ? { tls: { ca: readFileSync(endpoint.caFile, "utf8"), servername: endpoint.host, rejectUnauthorized: true } } : {};
}

/**
 * Connects, rejecting with the reason (a refused connection, a failed certificate check):
 * ioredis rejects connect() with only "Connection is closed" and gives the reason to its
 * error event. Later errors surface through the commands that hit them.
 */
export async function connectWithReason(redis: Redis, where: string): Promise<void> {
  let reason: Error | undefined;
  const remember = (error: Error) => (reason ??= error);
  redis.on("error", remember);
  try {
    await redis.connect();
  } catch (error) {
    throw new Error(`could not connect to ${where}: ${(reason ?? (error as Error)).message}`, { cause: error });
  } finally {
    redis.off("error", remember);
  }
}
