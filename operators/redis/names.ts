/**
 * Names, labels, ports, users and paths of a Redis cluster's objects, in one place so the
 * builders, the reconciler, the agent and the backup code never spell one differently.
 */
import type { DatabaseCluster } from "../../shared/api/index.js";
import { clusterNames, componentSelector, objectLabels, roleServiceNames } from "../common/names.js";

export const REDIS_PORT = 6379;

/** Paths inside the pod. Everything redis-server writes is under `data` (the PVC). */
export const REDIS_PATHS = {
  data: "/data",
  configDir: "/etc/steward/redis",
  configFile: "/etc/steward/redis/redis.conf",
  probeScript: "/etc/steward/redis/probe.sh",
  startScript: "/etc/steward/redis/start.sh",
  authDir: "/etc/steward/redis-auth",
  authFile: "/etc/steward/redis-auth/users.conf",
} as const;

/** File names redis-server uses in its data dir (reserved in spec.config: restore and backup rely on them). */
export const DATA_FILES = {
  rdb: "dump.rdb",
  aofDir: "appendonlydir",
  aofBase: "appendonly.aof",
  /** Written by the restore step once the seed is in place; a restarted pod never seeds again. */
  seeded: ".steward-seeded",
} as const;

/** Keys of `<cluster>-credentials`: one generated password per ACL user. */
export const CREDENTIAL_KEYS = {
  operator: "operator",
  replication: "replication",
  app: "app",
} as const;

/**
 * ACL users. `default` is switched off (no client gets in without a name and password); the
 * probe user may only PING, so it needs no secret (see resources/auth-secret.ts).
 */
export const USERS = {
  operator: "steward",
  replication: "replication",
  probe: "probe",
} as const;

/** Usernames spec.username may not take. */
export const RESERVED_USERNAMES: readonly string[] = ["default", USERS.operator, USERS.replication, USERS.probe];

export function redisNames(cluster: Pick<DatabaseCluster, "metadata">) {
  const name = cluster.metadata.name;
  const namespace = cluster.metadata.namespace ?? "default";
  return {
    ...clusterNames(cluster),
    ...roleServiceNames(cluster),
    auth: `${name}-auth`,
    promotionLease: `${name}-redis-promotion`,
    /** What a starting instance replicates from until the operator points it at a pod. */
    primaryServiceFqdn: `${name}-primary.${namespace}.svc.cluster.local`,
  };
}
export type RedisNames = ReturnType<typeof redisNames>;

/** Labels every object of the cluster carries; pods add the role label, set by the operator. */
export function clusterLabels(cluster: Pick<DatabaseCluster, "metadata">, component: string): Record<string, string> {
  return objectLabels(cluster, { engine: "redis", name: "redis" }, component);
}

/** What selects the cluster's Redis pods (stable for the StatefulSet's lifetime: its selector is immutable). */
export function podSelector(cluster: Pick<DatabaseCluster, "metadata">): Record<string, string> {
  return componentSelector(cluster, "database");
}
