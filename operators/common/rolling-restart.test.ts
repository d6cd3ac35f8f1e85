import { describe, expect, it } from "vitest";
import { planRollingRestart, type RollingPod } from "./rolling-restart.js";

const pod = (ordinal: number, revision: string, overrides: Partial<RollingPod> = {}): RollingPod => ({ name: `db-${ordinal}`, ordinal, revision, ready: true, healthy: true, terminating: false, ...overrides });

describe("planRollingRestart", () => {
  it("does nothing when every pod runs the current template", () => {
    expect(planRollingRestart([pod(0, "new"), pod(1, "new")], "new", "db-0")).toEqual({ action: "none" });
  });
  it("restarts replicas first, highest ordinal first", () => {
    expect(planRollingRestart([pod(0, "old"), pod(1, "old"), pod(2, "old")], "new", "db-0")).toMatchObject({ action: "delete", pod: "db-2" });
  });
  it("restarts one at a time: waits while a pod is away or not healthy", () => {
    expect(planRollingRestart([pod(0, "old"), pod(1, "old"), pod(2, "new", { terminating: true })], "new", "db-0")).toMatchObject({ action: "wait" });
    expect(planRollingRestart([pod(0, "old"), pod(1, "old"), pod(2, "new", { healthy: false })], "new", "db-0")).toMatchObject({ action: "wait", reason: expect.stringContaining("db-2") });
  });
  it("restarts an outdated replica that is not ready at once (the new template may be its fix)", () => {
    expect(planRollingRestart([pod(0, "old"), pod(1, "old", { ready: false, healthy: false }), pod(2, "old")], "new", "db-0")).toMatchObject({ action: "delete", pod: "db-1" });
  });
  it("switches over when only the primary is outdated, then rolls the old primary as a replica", () => {
    expect(planRollingRestart([pod(0, "old"), pod(1, "new"), pod(2, "new")], "new", "db-0")).toMatchObject({ action: "switchover" });
    expect(planRollingRestart([pod(0, "old"), pod(1, "new"), pod(2, "new")], "new", "db-1")).toMatchObject({ action: "delete", pod: "db-0" });
  });
  it("restarts a single instance in place: there is nobody to switch over to", () => {
    expect(planRollingRestart([pod(0, "old")], "new", "db-0")).toMatchObject({ action: "restartOnlyInstance", pod: "db-0" });
    expect(planRollingRestart([pod(0, "new")], "new", "db-0")).toEqual({ action: "none" });
  });
  it("waits for the StatefulSet controller to report a revision", () => {
    expect(planRollingRestart([pod(0, "old")], undefined, "db-0")).toEqual({ action: "none" });
  });
});
