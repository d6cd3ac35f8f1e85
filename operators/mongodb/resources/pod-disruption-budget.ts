import type { KubeObject } from "../../../shared/k8s/client.js";
import type { BuildInput } from "../../common/resources/build-input.js";
import { buildOneAtATimeBudget } from "../../common/resources/pod-disruption-budget.js";
import { clusterLabels, mongodbNames, podSelector } from "../names.js";

/** At most one member may be evicted at a time (a majority of 3 survives one); none for a single member. */
export function buildPodDisruptionBudget(input: BuildInput): KubeObject | undefined {
  return buildOneAtATimeBudget(input, { name: mongodbNames(input.cluster).podDisruptionBudget, labels: clusterLabels(input.cluster, "database"), selector: podSelector(input.cluster) });
}
