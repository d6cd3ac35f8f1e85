import type { KubeObject } from "../../../shared/k8s/client.js";
import { owned, type BuildInput } from "../../mysql/resources/common.js";
import { podSelector } from "../../mysql/names.js";
import { clusterLabels, redisNames } from "../names.js";

/**
 * At most one instance may be evicted at a time (node drains). The operator's own rolling
 * restarts delete pods directly, one at a time. A single instance gets no budget: it would
 * block every drain.
 */
export function buildPodDisruptionBudget(input: BuildInput): KubeObject | undefined {
  if (input.spec.replicas < 2) return undefined;
  const names = redisNames(input.cluster);
  return owned(input, {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: names.podDisruptionBudget, namespace: names.namespace, labels: clusterLabels(input.cluster, "database") },
    spec: { maxUnavailable: 1, selector: { matchLabels: podSelector(input.cluster) } },
  });
}
