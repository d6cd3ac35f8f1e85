import { describe, expect, it } from "vitest";
import type { DatabaseCluster } from "../shared/api/index.js";
import { switchoverOutcome } from "./switchover.js";

function cluster(annotations: Record<string, string> | undefined, lastSwitchover?: NonNullable<DatabaseCluster["status"]>["lastSwitchover"]): DatabaseCluster {
  return {
    apiVersion: "steward.dev/v1alpha1",
    kind: "DatabaseCluster",
    metadata: { name: "orders", namespace: "shop", annotations },
    spec: { engine: "mysql", replicas: 3, storage: { size: "1Gi" }, failover: { delaySeconds: 5, dataLoss: "none" }, tls: { enabled: true, required: false }, paused: false, allowScaleDown: false, deletionPolicy: "RetainData" },
    status: { currentPrimary: "orders-0", lastSwitchover },
  };
}

describe("steward switchover follows the operator's answer", () => {
  const requestedAt = new Date("2026-11-25T10:00:00.500Z");
  it("waits while the annotation is there", () => {
    expect(switchoverOutcome(cluster({ "steward.dev/switchover": "auto" }), requestedAt)).toMatchObject({ done: false });
  });
  it("reports a completed switchover", () => {
    expect(switchoverOutcome(cluster(undefined, { request: "auto", to: "orders-1", at: "2026-11-25T10:00:01.200Z", result: "Switched" }), requestedAt)).toEqual({ done: true, ok: true, message: "Switched" });
  });
  it("reports a refusal as a failure", () => {
    expect(switchoverOutcome(cluster(undefined, { request: "orders-7", at: "2026-11-25T10:00:01Z", result: "refused" }), requestedAt)).toEqual({ done: true, ok: false, message: "refused" });
  });
  it("ignores an older result", () => {
    expect(switchoverOutcome(cluster(undefined, { request: "auto", to: "orders-1", at: "2026-11-25T09:00:00Z", result: "old" }), requestedAt).done).toBe(false);
  });
});
