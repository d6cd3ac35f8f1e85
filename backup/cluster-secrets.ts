/**
 * The Secrets the backup controllers (backup/controllers) keep for a cluster's pods, owned by
 * the cluster; engines mount them by name (envFrom) and read the variables below.
 */
import type { DatabaseCluster } from "../shared/api/index.js";

/** The storage's location and credentials for in-pod agents (e.g. MySQL's binlog archiver). */
export function backupStorageSecretName(cluster: Pick<DatabaseCluster, "metadata">): string {
  return `${cluster.metadata.name}-backup-storage`;
}

/** What the pods of a cluster created from a backup (spec.bootstrap) need to restore it. */
export function bootstrapSecretName(cluster: Pick<DatabaseCluster, "metadata">): string {
  return `${cluster.metadata.name}-bootstrap`;
}

/**
 * What the `<cluster>-bootstrap` Secret gives a restoring init step (envFrom), written by the
 * backup controllers from spec.bootstrap.source: the storage (as for any agent), and the
 * resolved source.
 */
export const BOOTSTRAP_ENV = {
  namespace: "STEWARD_BOOTSTRAP_NAMESPACE",
  cluster: "STEWARD_BOOTSTRAP_CLUSTER",
  backup: "STEWARD_BOOTSTRAP_BACKUP",
  pointInTime: "STEWARD_BOOTSTRAP_POINT_IN_TIME",
} as const;
