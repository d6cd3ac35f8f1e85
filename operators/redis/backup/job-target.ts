/**
 * How backup, restore and checksum Jobs (backup/controllers) reach a Redis cluster: as the
 * operator's ACL user (a backup needs SYNC and INFO, an in-place restore REPLICAOF and CLIENT
 * KILL, checksums SCAN and SELECT), with the password from the credentials Secret by reference.
 * Backups read a replica through the replicas Service (the snapshot's fork stays off the
 * primary); a single-instance cluster has only its primary. A cluster that serves TLS is
 * reached on its TLS port, the server verified with the CA from `<cluster>-tls`.
 */
import type { DatabaseCluster } from "../../../shared/api/index.js";
import { jobCredentialsEnv, jobTlsEnv } from "../../../backup/agent/variables.js";
import type { EngineJobTarget } from "../../../backup/engine-backup.js";
import { tlsSecretName } from "../../cluster/tls.js";
import { CREDENTIAL_KEYS, REDIS_PORT, REDIS_TLS_PORT, USERS, redisNames } from "../names.js";

export function redisJobTarget(cluster: DatabaseCluster, host?: string): EngineJobTarget {
  const names = redisNames(cluster);
  const tls = cluster.spec.tls?.enabled !== false;
  return {
    args: ["--engine", "redis", "--host", host ?? (cluster.spec.replicas > 1 ? names.replicasHost : names.primaryHost), "--port", String(tls ? REDIS_TLS_PORT : REDIS_PORT)],
    env: [...jobCredentialsEnv(USERS.operator, names.credentials, CREDENTIAL_KEYS.operator), ...(tls ? jobTlsEnv(tlsSecretName(cluster)) : [])],
  };
}

/** The primary's own address, for an in-place restore (the primary Service is fenced meanwhile). */
export function redisPrimaryHost(cluster: DatabaseCluster): string | undefined {
  const primary = cluster.status?.currentPrimary;
  return primary ? redisNames(cluster).podHost(primary) : undefined;
}
