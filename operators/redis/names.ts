/**
 * Names, labels, ports, users and paths of a Redis cluster's objects, in one place so the
 * builders, the reconciler, the agent and the backup code never spell one differently.
 */
import type { DatabaseCluster, EffectiveSpec } from "../../shared/api/index.js";
import { clusterNames, componentSelector, objectLabels, roleServiceNames } from "../common/names.js";

export const REDIS_PORT = 6379;
/**
 * The TLS port (spec.tls.enabled). A port of its own rather than TLS on 6379: while TLS is not
 * required both are open, so plaintext clients keep working beside verified ones.
 */
export const REDIS_TLS_PORT = 6380;

/** The ports the Services and pods publish: plaintext unless TLS is required, TLS when enabled. */
export function servicePorts(spec: Partial<Pick<EffectiveSpec, "tls">>): { name: string; port: number }[] {
  const tls = spec.tls?.enabled === true;
  return [...(tls && spec.tls!.required ? [] : [{ name: "redis", port: REDIS_PORT }]), ...(tls ? [{ name: "redis-tls", port: REDIS_TLS_PORT }] : [])];
}

/** Paths inside the pod. Everything redis-server writes is under `data` (the PVC). */
export const REDIS_PATHS = {
  data: "/data",
  configDir: "/etc/steward/redis",
  configFile: "/etc/steward/redis/redis.conf",
  probeScript: "/etc/steward/redis/probe.sh",
  startScript: "/etc/steward/redis/start.sh",
  authDir: "/etc/steward/redis-auth",
  authFile: "/etc/steward/redis-auth/users.conf",
  /** The cluster's TLS Secret (`<cluster>-tls`), when spec.tls.enabled. */
  tlsDir: "/etc/steward/tls",
} as const;

/** Files of the mounted TLS Secret (operators/cluster/tls.ts writes them). */
export const REDIS_TLS_FILES = {
  cert: `${REDIS_PATHS.tlsDir}/tls.crt`,
  key: `${REDIS_PATHS.tlsDir}/tls.key`,
  ca: `${REDIS_PATHS.tlsDir}/ca.crt`,
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
