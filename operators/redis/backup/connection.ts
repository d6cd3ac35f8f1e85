/** How Jobs' ioredis connections reach a cluster that serves TLS (endpoint.caFile from STEWARD_TLS_CA). */
import { readFileSync } from "node:fs";
import type { RedisOptions } from "ioredis";
import type { EngineEndpoint } from "../../../backup/engine-backup.js";

/** TLS verifying the chain against the cluster's CA and the host name against the certificate; nothing without a CA file. */
export function tlsOptions(endpoint: EngineEndpoint): Pick<RedisOptions, "tls"> {
  return endpoint.caFile && !endpoint.socket ? { tls: { ca: readFileSync(endpoint.caFile, "utf8"), servername: endpoint.host, rejectUnauthorized: true } } : {};
}
