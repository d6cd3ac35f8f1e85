/**
 * Names, labels, ports, users and paths of a MongoDB cluster's objects, in one place so the
 * builders, the reconciler, the agent and the backup code never spell one differently.
 */
import type { DatabaseCluster, EffectiveSpec } from "../../shared/api/index.js";
import { clusterNames, componentSelector, objectLabels, roleServiceNames } from "../common/names.js";

export const MONGODB_PORT = 27017;
export const AGENT_PORT = 9104;

/** uid/gid of the `mongodb` user in the official mongo image. */
export const MONGODB_UID = 999;

/** Paths inside the pod. The data is on the PVC at /data/db, the official image's default. */
export const MONGODB_PATHS = {
  data: "/data/db",
  /** The keyfile Secret as mounted (group-readable: mongod refuses that) ... */
  keyfileSecretDir: "/etc/steward/mongodb-keyfile",
  /** ... and the private copy the init container makes, mode 0400, owned by mongodb. */
  keyfileDir: "/var/lib/steward/mongodb-keyfile",
  keyfile: "/var/lib/steward/mongodb-keyfile/keyfile",
} as const;

/** Keys of `<cluster>-credentials`: one CSPRNG password per user, and the agent's bearer token. */
export const CREDENTIAL_KEYS = {
  admin: "admin",
  app: "app",
  agent: "agent",
} as const;

/** The key of `<cluster>-keyfile`, the replica set's shared internal-authentication secret. */
export const KEYFILE_KEY = "keyfile";

/** The operator's user, with the root role, created in `admin` through the localhost exception. */
export const ADMIN_USER = "steward";

/** Usernames spec.username may not take. */
export const RESERVED_USERNAMES: readonly string[] = [ADMIN_USER, "__system"];

export function mongodbNames(cluster: Pick<DatabaseCluster, "metadata">) {
  const name = cluster.metadata.name;
  return {
    ...clusterNames(cluster),
    ...roleServiceNames(cluster),
    keyfile: `${name}-keyfile`,
    /** Held while the operator forces a reconfig or switches over (never two at once). */
    promotionLease: `${name}-mongodb-promotion`,
    /** The replica set's name: the cluster's (unique in its namespace, and what a reader expects). */
    replicaSet: name,
  };
}
export type MongodbNames = ReturnType<typeof mongodbNames>;

/**
 * The application database: the cluster's name with - replaced by _ (MongoDB allows '-', but
 * the same name then works in every shell and driver unquoted), unless spec.database names it
 * (a cluster restored from another keeps its source's).
 */
export function applicationDatabase(cluster: Pick<DatabaseCluster, "metadata">, spec: Pick<EffectiveSpec, "database">): string {
  return spec.database ?? cluster.metadata.name.replace(/-/g, "_");
}

/** Labels every object of the cluster carries; pods add the role label, set by the operator. */
export function clusterLabels(cluster: Pick<DatabaseCluster, "metadata">, component: string): Record<string, string> {
  return objectLabels(cluster, { engine: "mongodb", name: "mongodb" }, component);
}

/** What selects the cluster's mongod pods (stable for the StatefulSet's lifetime: its selector is immutable). */
export function podSelector(cluster: Pick<DatabaseCluster, "metadata">): Record<string, string> {
  return componentSelector(cluster, "database");
}
