/**
 * How backup, restore and checksum Jobs (backup/controllers) reach a MongoDB cluster: as the
 * operator's admin user (a dump reads every database and the oplog; a restore creates
 * databases and roles), the password from the credentials Secret by reference. The Job is
 * given one seed (the primary Service); the driver discovers the replica set from it, so a dump
 * reads a secondary and a load follows the primary through elections.
 */
import type { DatabaseCluster } from "../../../shared/api/index.js";
import { jobCredentialsEnv } from "../../../backup/agent/variables.js";
import type { EngineJobTarget } from "../../../backup/engine-backup.js";
import { ADMIN_USER, CREDENTIAL_KEYS, MONGODB_PORT, mongodbNames } from "../names.js";

/** `host` overrides the seed (an in-place restore gives the primary's own address). */
export function mongodbJobTarget(cluster: DatabaseCluster, host?: string): EngineJobTarget {
  const names = mongodbNames(cluster);
  return {
    args: ["--engine", "mongodb", "--host", host ?? names.primaryHost, "--port", String(MONGODB_PORT)],
    env: jobCredentialsEnv(ADMIN_USER, names.credentials, CREDENTIAL_KEYS.admin),
  };
}

/** The primary's own address, for an in-place restore. */
export function mongodbPrimaryHost(cluster: DatabaseCluster): string | undefined {
  const primary = cluster.status?.currentPrimary;
  return primary ? mongodbNames(cluster).podHost(primary) : undefined;
}
