import { describe, expect, it } from "vitest";
import { buildPodDisruptionBudget } from "./pod-disruption-budget.js";
import { testInput } from "./test-input.js";

describe("buildPodDisruptionBudget", () => {
  it("lets one instance go at a time", () => {
    const budget = buildPodDisruptionBudget(testInput()) as unknown as { metadata: { name: string }; spec: Record<string, unknown> };
    expect(budget.metadata.name).toBe("cache");
    expect(budget.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { "steward.dev/cluster": "cache", "steward.dev/component": "database" } } });
  });

  it("is absent for a single instance (it would block every drain)", () => {
    expect(buildPodDisruptionBudget(testInput({ replicas: 1 }))).toBeUndefined();
  });
});
