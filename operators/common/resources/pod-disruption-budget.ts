import type { KubeObject } from "../../../shared/k8s/client.js";
import { owned, type BuildInput } from "./build-input.js";

export interface BudgetShape {
  name: string;
  labels: Record<string, string>;
  selector: Record<string, string>;
}

/**
 * At most one of the cluster's pods may be evicted at a time (node drains, cluster upgrades).
 * The operator's own rolling changes delete pods directly, one at a time, and do not go through
 * eviction. A single-pod cluster gets no budget: it would block every drain.
 */
export function buildOneAtATimeBudget(input: BuildInput, shape: BudgetShape): KubeObject | undefined {
  if (input.spec.replicas < 2) return undefined;
  return owned(input, {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: shape.name, namespace: input.cluster.metadata.namespace ?? "default", labels: shape.labels },
    spec: { maxUnavailable: 1, selector: { matchLabels: shape.selector } },
  });
}
