import { describe, expect, it } from "vitest";
import type { Observation } from "../engine.js";
import { decidePhase } from "./phase.js";

const observation = (overrides: Partial<Observation>): Observation => ({
  instances: [],
  readyReplicas: 0,
  conditions: [],
  problems: [],
  provisioning: false,
  ...overrides,
});

describe("decidePhase", () => {
  it("is Ready when every desired instance is ready and nothing is wrong", () => {
    const decision = decidePhase(3, observation({ readyReplicas: 3, primary: "db-0" }), {});
    expect(decision.phase).toBe("Ready");
    expect(decision.conditions.find((c) => c.type === "Ready")?.status).toBe("True");
    expect(decision.conditions.find((c) => c.type === "Degraded")?.status).toBe("False");
  });

  it("is Provisioning, not Degraded, while the cluster is first coming up", () => {
    const decision = decidePhase(3, observation({ readyReplicas: 1, provisioning: true }), {});
    expect(decision.phase).toBe("Provisioning");
    expect(decision.conditions.find((c) => c.type === "Ready")?.message).toContain("1/3");
  });

  it("is Degraded but serving when a replica is down and a primary serves", () => {
    const decision = decidePhase(3, observation({ readyReplicas: 2, primary: "db-0", problems: ["db-2 is not ready; waiting for it to restart"] }), {}, "Ready");
    expect(decision.phase).toBe("Degraded");
    expect(decision.conditions.find((c) => c.type === "Ready")).toMatchObject({ status: "True", reason: "Serving" });
    expect(decision.conditions.find((c) => c.type === "Degraded")?.message).toContain("db-2 is not ready");
  });

  it("is Degraded and not serving when a primary-less cluster lost its majority", () => {
    const decision = decidePhase(3, observation({ readyReplicas: 1 }), {}, "Ready");
    expect(decision.phase).toBe("Degraded");
    expect(decision.conditions.find((c) => c.type === "Ready")?.status).toBe("False");
  });

  it("reports problems even when the count of ready instances is complete", () => {
    const decision = decidePhase(2, observation({ readyReplicas: 2, primary: "db-0", problems: ["db-1 replication stopped: error 1062"] }), {}, "Degraded");
    expect(decision.phase).toBe("Degraded");
  });

  it("stays Provisioning until a new cluster has been Ready once, even when its primary already serves", () => {
    for (const previous of [undefined, "Pending", "Provisioning"] as const) {
      expect(decidePhase(3, observation({ readyReplicas: 2, primary: "db-0" }), {}, previous).phase).toBe("Provisioning");
    }
    expect(decidePhase(3, observation({ readyReplicas: 2, primary: "db-0" }), {}, "Ready").phase).toBe("Degraded");
  });

  it("is Failed with the engine's message when healing found a fatal problem", () => {
    const decision = decidePhase(3, observation({ readyReplicas: 3 }), { failed: "version 5.7 is not supported; use 8.4" });
    expect(decision.phase).toBe("Failed");
    expect(decision.conditions.find((c) => c.type === "Ready")?.message).toBe("version 5.7 is not supported; use 8.4");
  });
});
