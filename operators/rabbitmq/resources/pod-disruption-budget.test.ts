import { describe, expect, it } from "vitest";
import { testCluster } from "../test-cluster.js";
import { buildPodDisruptionBudget } from "./pod-disruption-budget.js";

describe("buildPodDisruptionBudget", () => {
  it("lets one node at a time be evicted", () => {
    const pdb = buildPodDisruptionBudget(testCluster()) as unknown as { spec: { maxUnavailable: number; selector: { matchLabels: Record<string, string> } } };
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { "steward.dev/cluster": "orders", "steward.dev/component": "broker" } } });
  });
  it("gives a single-node cluster no budget (it would block every drain)", () => {
    expect(buildPodDisruptionBudget(testCluster({ replicas: 1 }))).toBeUndefined();
  });
});
