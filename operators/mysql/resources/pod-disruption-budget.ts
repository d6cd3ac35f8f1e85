import type { KubeObject } from "../../../shared/k8s/client.js";
import { clusterLabels, mysqlNames, podSelector } from "../names.js";
import { owned, type BuildInput } from "./common.js";

/**
 * At most one instance may be evicted at a time (node drains, cluster upgrades). The
 * operator's own rolling restarts delete pods directly, one at a time, and do not go
 * through eviction. A single-instance cluster gets no budget: it would block every drain.
 */
export function buildPodDisruptionBudget(input: BuildInput): KubeObject | undefined {
  if (input.spec.replicas < 2) return undefined;
  const names = mysqlNames(input.cluster);
  return owned(input, {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: names.podDisruptionBudget, namespace: names.namespace, labels: clusterLabels(input.cluster, input.spec, "database") },
    spec: { maxUnavailable: 1, selector: { matchLabels: podSelector(input.cluster) } },
  });
}
