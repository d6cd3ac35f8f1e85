import { describe, expect, it } from "vitest";
import { buildPodDisruptionBudget } from "./pod-disruption-budget.js";
import { testInput } from "./test-cluster.js";

describe("buildPodDisruptionBudget", () => {
  it("lets one instance go at a time", () => {
    expect(buildPodDisruptionBudget(testInput())).toMatchObject({
      kind: "PodDisruptionBudget",
      metadata: { name: "orders" },
      spec: { maxUnavailable: 1, selector: { matchLabels: { "steward.dev/cluster": "orders", "steward.dev/component": "database" } } },
    });
  });
  it("gives a single instance no budget (it would block every node drain)", () => {
    expect(buildPodDisruptionBudget(testInput({ replicas: 1 }))).toBeUndefined();
  });
});
