import type { V1Container } from "@kubernetes/client-node";
import type { DatabaseCluster, EffectiveSpec } from "../../../shared/api/index.js";
import { backupStorageSecretName } from "../../../backup/cluster-secrets.js";
import { AGENT_PROCESS_ENV } from "../../../backup/agent/image.js";
import { ENV, jobCredentialsEnv, jobTlsEnv } from "../../../backup/agent/variables.js";
import { tlsSecretName } from "../../cluster/tls-secret-name.js";
import type { EngineJobTarget } from "../../../backup/engine-backup.js";
import { CREDENTIAL_KEYS, MYSQL_PATHS, MYSQL_PORT, USERS, mysqlNames } from "../names.js";

/**
 * How a backup, restore or checksum step reaches a MySQL/MariaDB cluster: the primary (the
 * dump's GTID position is then on the same history the archiver uploads), as root, with the
 * password from the cluster's credentials Secret by reference.
 */
export function mysqlJobTarget(cluster: DatabaseCluster, host?: string): EngineJobTarget {
  const names = mysqlNames(cluster);
  const sources = physicalSources(cluster);
  return {
    // spec.flavor defaults to mysql (shared/api effectiveSpec).
    args: [
      "--engine",
      "mysql",
      "--flavor",
      cluster.spec.flavor ?? "mysql",
      "--host",
      host ?? names.primaryHost,
      "--port",
      String(MYSQL_PORT),
      ...(sources.length > 0 ? ["--physical-source", sources.join(",")] : []),
    ],
    env: [...jobCredentialsEnv(USERS.root, names.credentials, CREDENTIAL_KEYS.root), { name: ENV.agentToken, valueFrom: { secretKeyRef: { name: names.credentials, key: CREDENTIAL_KEYS.agent } } }, ...(cluster.spec.tls?.enabled === false ? [] : jobTlsEnv(tlsSecretName(cluster)))],
  };
}

/**
 * Where a physical copy may be taken, preferred first: replicas that are ready and replicating
 * (least lag first), never loading the primary while one is; the primary only when none is
 * (a single instance, or every replica broken). The agent takes an incremental copy on the
 * instance its parent came from when that one is in the list.
 */
export function physicalSources(cluster: DatabaseCluster): string[] {
  const names = mysqlNames(cluster);
  const instances = cluster.status?.instances ?? [];
  const replicas = instances
    .filter((instance) => instance.role === "replica" && instance.ready && instance.replication === "Running")
    .sort((a, b) => (a.lagSeconds ?? 0) - (b.lagSeconds ?? 0) || a.name.localeCompare(b.name));
  if (replicas.length > 0) return replicas.map((instance) => names.podHost(instance.name));
  const primary = cluster.status?.currentPrimary;
  return primary ? [names.podHost(primary)] : [];
}

/** The primary's own address, for an in-place restore (the primary Service is fenced meanwhile). */
export function mysqlPrimaryHost(cluster: DatabaseCluster): string | undefined {
  const primary = cluster.status?.currentPrimary;
  return primary ? mysqlNames(cluster).podHost(primary) : undefined;
}

/**
 * The PITR sidecar: `steward agent archive-binlogs` beside mariadbd, on the same data volume
 * (binlogs are read as files from MYSQL_PATHS.dataDir) and the server's Unix socket, with the
 * storage from the cluster's `<cluster>-backup-storage` Secret. It uploads closed binlogs and
 * closes the current one at most 10 s after a commit, so losing every node loses at most
 * ~10 s of commits. Only the writable primary's sidecar uploads; the others idle.
 */
export function buildBinlogArchiverContainer(cluster: DatabaseCluster, spec: Pick<EffectiveSpec, "flavor" | "backup">, agentImage: string): V1Container {
  const names = mysqlNames(cluster);
  return {
    name: "binlog-archiver",
    image: agentImage,
    command: ["steward", "agent", "archive-binlogs"],
    args: [
      "--namespace",
      names.namespace,
      "--cluster",
      names.cluster,
      "--engine",
      "mysql",
      "--socket",
      MYSQL_PATHS.socket,
      "--data-dir",
      MYSQL_PATHS.dataDir,
      "--compression",
      spec.backup?.compression ?? "zstd",
      "--max-segment-age",
      "10s",
    ],
    env: [
      ...jobCredentialsEnv(USERS.root, names.credentials, CREDENTIAL_KEYS.root),
      { name: "STEWARD_COMPONENT", value: "binlog-archiver" },
      ...AGENT_PROCESS_ENV,
    ],
    envFrom: [{ secretRef: { name: backupStorageSecretName(cluster) } }],
    resources: { requests: { cpu: "20m", memory: "64Mi" }, limits: { memory: "192Mi" } },
    volumeMounts: [
      { name: "data", mountPath: MYSQL_PATHS.base, readOnly: true },
      { name: "run", mountPath: MYSQL_PATHS.runDir },
    ],
  };
}
