/**
 * What every builder of a cluster's objects takes, whatever the engine: the cluster as read
 * from the API server (for names, the owner reference and the status fields builders depend
 * on) and its effective spec (every default filled in).
 */
import type { DatabaseCluster, EffectiveSpec } from "../../../shared/api/index.js";
import type { KubeObject } from "../../../shared/k8s/client.js";
import { withOwner } from "../../../shared/k8s/owner.js";

export interface BuildInput {
  cluster: DatabaseCluster;
  spec: EffectiveSpec;
}

/** The object, owned by the cluster (garbage-collected with it, and waking its reconcile on change). */
export function owned<T extends KubeObject>(input: BuildInput, object: T): T {
  return withOwner(object, input.cluster as unknown as KubeObject);
}

/** The cluster as the owner of objects that are ensured rather than built (Secrets, Leases). */
export function clusterObject(input: Pick<BuildInput, "cluster">): KubeObject {
  return input.cluster as unknown as KubeObject;
}
