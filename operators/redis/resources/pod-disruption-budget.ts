import type { KubeObject } from "../../../shared/k8s/client.js";
import type { BuildInput } from "../../common/resources/build-input.js";
import { buildOneAtATimeBudget } from "../../common/resources/pod-disruption-budget.js";
import { clusterLabels, podSelector, redisNames } from "../names.js";

/** At most one instance may be evicted at a time; none for a single instance (see common/resources/pod-disruption-budget.ts). */
export function buildPodDisruptionBudget(input: BuildInput): KubeObject | undefined {
  return buildOneAtATimeBudget(input, { name: redisNames(input.cluster).podDisruptionBudget, labels: clusterLabels(input.cluster, "database"), selector: podSelector(input.cluster) });
}
