/**
 * Names, labels, ports and paths of a MySQL/MariaDB cluster's objects, in one place so the
 * builders, the reconciler, the agent and the backup code never spell one differently.
 */
import type { DatabaseCluster, EffectiveSpec } from "../../shared/api/index.js";
import { clusterNames, componentSelector, objectLabels, roleServiceNames } from "../common/names.js";

export const MYSQL_PORT = 3306;
export const AGENT_PORT = 8765;

/** Paths inside the pod. The PVC is mounted at `base`; the server's datadir is a folder in it
 * (a volume's root may hold lost+found, which the server would list as a database), and
 * Steward's own markers live beside it. */
export const MYSQL_PATHS = {
  base: "/var/lib/mysql",
  dataDir: "/var/lib/mysql/data",
  stateDir: "/var/lib/mysql/steward",
  configDir: "/etc/steward/mysql",
  configFile: "/etc/steward/mysql/my.cnf",
  startScript: "/etc/steward/mysql/start.sh",
  runDir: "/run/mysqld",
  socket: "/run/mysqld/mysqld.sock",
  // Not /tmp: a volume over /tmp in the local runtime hides every volume source under the
  // runtime's state folder when that is in /tmp (reported); /var/tmp/mysql works everywhere.
  tmpDir: "/var/tmp/mysql",
  /** The cluster's TLS Secret (`<cluster>-tls`), when spec.tls.enabled. */
  tlsDir: "/etc/steward/tls",
} as const;

/** Files of the mounted TLS Secret (operators/cluster/tls.ts writes them). */
export const MYSQL_TLS_FILES = {
  cert: `${MYSQL_PATHS.tlsDir}/tls.crt`,
  key: `${MYSQL_PATHS.tlsDir}/tls.key`,
  ca: `${MYSQL_PATHS.tlsDir}/ca.crt`,
} as const;

/** Marker files in MYSQL_PATHS.stateDir, written by the agent, read by start.sh (see agent/init.ts). */
export const STATE_FILES = {
  /** SQL that creates the users of a brand-new instance; start.sh runs it once with --bootstrap. */
  initializeSql: "initialize.sql",
  /** Present while an instance's first initialization has not finished. */
  initializing: "initializing",
  /** SQL that sets gtid_slave_pos of a freshly seeded replica; start.sh runs it once. */
  seedSql: "seed.sql",
  /** Present while a copy from the primary is being written. */
  seeding: "seeding",
  /** Written on request of the operator: the next start wipes the data and copies it again. */
  reseed: "reseed",
  /**
   * Present while the agent sidecar replaces the data under a stopped server (an in-place
   * physical restore, the re-seed that follows it): start.sh waits until it is gone.
   */
  hold: "hold",
} as const;

export const CREDENTIAL_KEYS = {
  root: "root",
  replication: "replication",
  monitor: "monitor",
  app: "app",
  /** Bearer token for the agent's HTTP endpoints (seed stream, reseed). */
  agent: "agent",
} as const;

export const USERS = {
  root: "root",
  replication: "repl",
  monitor: "monitor",
} as const;

export function mysqlNames(cluster: Pick<DatabaseCluster, "metadata">) {
  return {
    ...clusterNames(cluster),
    ...roleServiceNames(cluster),
    promotionLease: `${cluster.metadata.name}-mysql-promotion`,
  };
}
export type MysqlNames = ReturnType<typeof mysqlNames>;

/** Labels every object of the cluster carries; pods add the role label, set by the operator. */
export function clusterLabels(cluster: Pick<DatabaseCluster, "metadata">, spec: Pick<EffectiveSpec, "flavor">, component: string): Record<string, string> {
  return objectLabels(cluster, { engine: "mysql", name: spec.flavor === "mariadb" ? "mariadb" : "mysql" }, component);
}

/** What selects the cluster's database pods (stable for the StatefulSet's lifetime: its selector is immutable). */
export function podSelector(cluster: Pick<DatabaseCluster, "metadata">): Record<string, string> {
  return componentSelector(cluster, "database");
}

/** server_id from the StatefulSet ordinal: stable for a pod's lifetime and unique in the cluster (0 is not allowed). */
export function serverIdOf(ordinal: number): number {
  return ordinal + 1;
}
