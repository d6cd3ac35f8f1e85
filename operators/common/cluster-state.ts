/**
 * What an engine's prepare reads from the API server besides its Secrets, whatever the engine:
 * the StatefulSet as it is (its claim template size and update revision), and the cluster's pods.
 */
import { RESOURCES, type KubeClient, type KubeObject } from "../../shared/k8s/client.js";
import type { ObjectCache } from "../../shared/runtime/informer-factory.js";
import { labelSelector } from "./names.js";

export interface StatefulSetObject extends KubeObject {
  spec?: { replicas?: number; volumeClaimTemplates?: { spec?: { resources?: { requests?: { storage?: string } } } }[] };
  status?: { updateRevision?: string; currentRevision?: string };
}

/** The size the StatefulSet's data claim template asks for (kept when the spec grows: see resources/statefulset.ts). */
export function claimTemplateSize(statefulSet: StatefulSetObject | undefined): string | undefined {
  return statefulSet?.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage;
}

export interface ClusterState {
  existingStatefulSet?: StatefulSetObject;
  pods: KubeObject[];
}

/**
 * From the shared informer cache when it covers them, as controller-runtime's client reads
 * (a reconcile of an idle cluster then asks the API server nothing); else from the API server.
 */
export async function readClusterState(
  context: { client: KubeClient; cache?: ObjectCache },
  where: { namespace: string; statefulSet: string },
  podSelector: Record<string, string>,
): Promise<ClusterState> {
  const { client, cache } = context;
  const existingStatefulSet =
    (cache?.cached(RESOURCES.StatefulSet, where.namespace, where.statefulSet) as StatefulSetObject | undefined) ??
    (await client.get<StatefulSetObject>(RESOURCES.StatefulSet, where.namespace, where.statefulSet));
  const pods = cache?.cachedList(RESOURCES.Pod, where.namespace, podSelector) ?? (await client.list<KubeObject>(RESOURCES.Pod, where.namespace, { labelSelector: labelSelector(podSelector) })).items;
  return { existingStatefulSet, pods };
}

