import type { KubeObject } from "../../../shared/k8s/client.js";
import { clusterLabels, podSelector, rabbitmqNames } from "../names.js";
import { owned, type BuildInput } from "./build-input.js";

/**
 * At most one node may be evicted at a time (node drains, cluster upgrades): a quorum queue
 * with three members survives one missing, not two. The operator's own rolling changes delete
 * pods one at a time after checking quorum and do not go through eviction. A single-node
 * cluster gets no budget: it would block every drain.
 */
export function buildPodDisruptionBudget(input: BuildInput): KubeObject | undefined {
  if (input.spec.replicas < 2) return undefined;
  const names = rabbitmqNames(input.cluster);
  return owned(input, {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: names.podDisruptionBudget, namespace: names.namespace, labels: clusterLabels(input.cluster, "broker") },
    spec: { maxUnavailable: 1, selector: { matchLabels: podSelector(input.cluster) } },
  });
}
