import type { KubeObject } from "../../../shared/k8s/client.js";
import type { BuildInput } from "../../common/resources/build-input.js";
import { buildOneAtATimeBudget } from "../../common/resources/pod-disruption-budget.js";
import { clusterLabels, podSelector, rabbitmqNames } from "../names.js";

/**
 * At most one node may be evicted at a time (see common/resources/pod-disruption-budget.ts): a
 * quorum queue with three members survives one missing, not two. The operator's own rolling
 * changes check quorum before deleting a pod.
 */
export function buildPodDisruptionBudget(input: BuildInput): KubeObject | undefined {
  return buildOneAtATimeBudget(input, { name: rabbitmqNames(input.cluster).podDisruptionBudget, labels: clusterLabels(input.cluster, "broker"), selector: podSelector(input.cluster) });
}
