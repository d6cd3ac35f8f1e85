/**
 * What an engine's prepare reads from the API server besides its Secrets, whatever the engine:
 * the StatefulSet as it is (its claim template size and update revision), and the cluster's pods.
 */
import { RESOURCES, type KubeClient, type KubeObject } from "../../shared/k8s/client.js";
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

export async function readClusterState(client: KubeClient, where: { namespace: string; statefulSet: string }, podSelector: Record<string, string>): Promise<ClusterState> {
  const existingStatefulSet = await client.get<StatefulSetObject>(RESOURCES.StatefulSet, where.namespace, where.statefulSet);
  const pods = (await client.list<KubeObject>(RESOURCES.Pod, where.namespace, { labelSelector: labelSelector(podSelector) })).items;
  return { existingStatefulSet, pods };
}

