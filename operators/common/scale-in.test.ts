import { describe, expect, it } from "vitest";
import { testBuildInput } from "../../test/fixtures/build-input.js";
import { primaryBlocksScaleIn, statefulSetReplicas } from "./scale-in.js";

const input = (replicas: number, currentPrimary?: string) => testBuildInput({ name: "db", spec: { engine: "redis", replicas }, status: currentPrimary ? { currentPrimary } : undefined });

describe("scale-in", () => {
  it("never scales the StatefulSet below the primary's ordinal: scale-in waits for a switchover", () => {
    expect(statefulSetReplicas(input(3, "db-4"))).toBe(5);
    expect(statefulSetReplicas(input(3, "db-1"))).toBe(3);
    expect(statefulSetReplicas(input(3))).toBe(3);
    expect(statefulSetReplicas(input(2, "not-a-pod"))).toBe(2);
  });
  it("blocks scale-in while the primary is among the removed ordinals", () => {
    expect(primaryBlocksScaleIn("db-4", 4, 3)).toBe(true);
    expect(primaryBlocksScaleIn("db-0", 0, 3)).toBe(false);
    expect(primaryBlocksScaleIn(undefined, undefined, 3)).toBe(false);
  });
});
