import { describe, expect, it } from "vitest";
import type { Condition } from "./api/common.js";
import { getCondition, isConditionTrue, removeCondition, setCondition } from "./conditions.js";

const t0 = new Date("2026-01-01T10:00:00.123Z");
const t1 = new Date("2026-01-01T10:05:00.456Z");

describe("setCondition", () => {
  it("adds a new condition stamped with the time, to the second", () => {
    const conditions = setCondition(undefined, { type: "Ready", status: "False", reason: "Provisioning", message: "Creating the StatefulSet." }, 3, t0);
    expect(conditions).toEqual([
      { type: "Ready", status: "False", reason: "Provisioning", message: "Creating the StatefulSet.", lastTransitionTime: "2026-01-01T10:00:00Z", observedGeneration: 3 },
    ]);
  });

  it("keeps lastTransitionTime when the status does not flip, but updates reason, message and observedGeneration", () => {
    const before = setCondition(undefined, { type: "Ready", status: "False", reason: "Provisioning", message: "a" }, 1, t0);
    const after = setCondition(before, { type: "Ready", status: "False", reason: "WaitingForPods", message: "b" }, 2, t1);
    expect(after[0]).toEqual({ type: "Ready", status: "False", reason: "WaitingForPods", message: "b", lastTransitionTime: "2026-01-01T10:00:00Z", observedGeneration: 2 });
  });

  it("moves lastTransitionTime when the status flips", () => {
    const before = setCondition(undefined, { type: "Ready", status: "False", reason: "Provisioning", message: "a" }, 1, t0);
    const after = setCondition(before, { type: "Ready", status: "True", reason: "AllInstancesReady", message: "b" }, 1, t1);
    expect(after[0]!.lastTransitionTime).toBe("2026-01-01T10:05:00Z");
  });

  it("keeps the previous observedGeneration when none is given", () => {
    const before = setCondition(undefined, { type: "Ready", status: "True", reason: "R", message: "m" }, 4, t0);
    expect(setCondition(before, { type: "Ready", status: "True", reason: "R", message: "m" }, undefined, t1)[0]!.observedGeneration).toBe(4);
    expect(setCondition(undefined, { type: "Ready", status: "True", reason: "R", message: "m" }, undefined, t1)[0]).not.toHaveProperty("observedGeneration");
  });

  it("returns a new array, keeps the order and leaves the input untouched", () => {
    let conditions: Condition[] = [];
    for (const type of ["Ready", "Replicating", "BackupsHealthy"]) conditions = setCondition(conditions, { type, status: "True", reason: "R", message: "m" }, 1, t0);
    const frozen = structuredClone(conditions);
    const updated = setCondition(conditions, { type: "Replicating", status: "False", reason: "Lag", message: "m" }, 1, t1);
    expect(updated).not.toBe(conditions);
    expect(conditions).toEqual(frozen);
    expect(updated.map((condition) => condition.type)).toEqual(["Ready", "Replicating", "BackupsHealthy"]);
  });

  it("gives an equal result for an unchanged update, so the status writer writes nothing", () => {
    const once = setCondition(undefined, { type: "Ready", status: "True", reason: "R", message: "m" }, 1, t0);
    expect(setCondition(once, { type: "Ready", status: "True", reason: "R", message: "m" }, 1, t1)).toEqual(once);
  });
});

describe("condition lookups", () => {
  const conditions = setCondition(setCondition(undefined, { type: "Ready", status: "True", reason: "R", message: "m" }, 1, t0), { type: "Degraded", status: "False", reason: "R", message: "m" }, 1, t0);

  it("finds, tests and removes by type", () => {
    expect(getCondition(conditions, "Degraded")?.status).toBe("False");
    expect(getCondition(undefined, "Ready")).toBeUndefined();
    expect(isConditionTrue(conditions, "Ready")).toBe(true);
    expect(isConditionTrue(conditions, "Degraded")).toBe(false);
    expect(isConditionTrue(conditions, "Missing")).toBe(false);
    expect(removeCondition(conditions, "Ready").map((condition) => condition.type)).toEqual(["Degraded"]);
    expect(removeCondition(undefined, "Ready")).toEqual([]);
  });
});
