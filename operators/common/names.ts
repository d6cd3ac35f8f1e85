/**
 * The names and labels every engine's cluster shares: one StatefulSet named after the cluster,
 * its governing `<cluster>-headless` Service, `<cluster>-config`, `<cluster>-credentials`, the
 * PodDisruptionBudget, the pods' ordinals and DNS names, and the labels every object carries.
 * Engine folders add their own (ports, paths, role Services, users) in their names.ts.
 */
import { LABELS } from "../../shared/api/names.js";
import type { DatabaseCluster, EngineName } from "../../shared/api/index.js";

export function clusterNames(cluster: Pick<DatabaseCluster, "metadata">) {
  const name = cluster.metadata.name;
  const namespace = cluster.metadata.namespace ?? "default";
  const headless = `${name}-headless`;
  return {
    cluster: name,
    namespace,
    statefulSet: name,
    headless,
    configMap: `${name}-config`,
    credentials: `${name}-credentials`,
    podDisruptionBudget: name,
    pod: (ordinal: number) => `${name}-${ordinal}`,
    /** The StatefulSet DNS name of a pod, which the runtime and real clusters both resolve. */
    podHost: (pod: string) => `${pod}.${headless}.${namespace}.svc.cluster.local`,
    /** The data volume claim of an ordinal (claim template `data`). */
    pvc: (ordinal: number) => `data-${name}-${ordinal}`,
  };
}
export type ClusterNames = ReturnType<typeof clusterNames>;

/** The Services of an engine with one writable primary: `<cluster>-primary` and `<cluster>-replicas`. */
export function roleServiceNames(cluster: Pick<DatabaseCluster, "metadata">) {
  const name = cluster.metadata.name;
  const namespace = cluster.metadata.namespace ?? "default";
  return {
    primaryService: `${name}-primary`,
    replicasService: `${name}-replicas`,
    primaryHost: `${name}-primary.${namespace}.svc`,
    replicasHost: `${name}-replicas.${namespace}.svc`,
  };
}

/** Values of the `steward.dev/role` label the operator puts on the pods of a primary/replica engine. */
export const ROLE_PRIMARY = "primary";
export const ROLE_REPLICA = "replica";

/** Which engine and application (app.kubernetes.io/name) a cluster's objects belong to. */
export interface ClusterApp {
  engine: EngineName;
  name: string;
}

/** Labels every object of the cluster carries; pods of primary/replica engines add the role label, set by the operator. */
export function objectLabels(cluster: Pick<DatabaseCluster, "metadata">, app: ClusterApp, component: string): Record<string, string> {
  return {
    [LABELS.cluster]: cluster.metadata.name,
    [LABELS.engine]: app.engine,
    [LABELS.component]: component,
    [LABELS.name]: app.name,
    [LABELS.instance]: cluster.metadata.name,
    [LABELS.managedBy]: "steward",
  };
}

/**
 * What selects the cluster's pods of one component (stable for the StatefulSet's lifetime: its
 * selector is immutable, so `component` must never change for an engine).
 */
export function componentSelector(cluster: Pick<DatabaseCluster, "metadata">, component: string): Record<string, string> {
  return { [LABELS.cluster]: cluster.metadata.name, [LABELS.component]: component };
}

/** A matchLabels selector as the `labelSelector` query parameter (`key=value,key=value`). */
export function labelSelector(matchLabels: Record<string, string>): string {
  return Object.entries(matchLabels)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
}

/** The StatefulSet ordinal of a pod name (`<cluster>-<ordinal>`). */
export function ordinalOf(pod: string): number {
  const match = /-(\d+)$/.exec(pod);
  if (!match) throw new Error(`pod ${pod} has no StatefulSet ordinal`);
  return Number(match[1]);
}

/** Like ordinalOf, undefined for a name without an ordinal. */
export function ordinalOrUndefined(pod: string): number | undefined {
  try {
    return ordinalOf(pod);
  } catch {
    return undefined;
  }
}
