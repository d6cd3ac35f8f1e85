import { describe, expect, it } from "vitest";
import type { DatabaseBackup, DatabaseCluster } from "../shared/api/index.js";
import { renderStatus, statusRows, unhealthyConditions } from "./status.js";

const cluster = (name: string, status: DatabaseCluster["status"]): DatabaseCluster => ({
  apiVersion: "steward.dev/v1alpha1",
  kind: "DatabaseCluster",
  metadata: { name, namespace: "shop" },
  spec: {
    engine: "mysql",
    flavor: "mariadb",
    replicas: 3,
    storage: { size: "1Gi" },
    failover: { delaySeconds: 5, dataLoss: "none" },
    tls: { enabled: true, required: false },
    paused: false,
    allowScaleDown: false,
    deletionPolicy: "RetainData",
  },
  status,
});

const condition = (type: string, status: "True" | "False", message: string) => ({ type, status, reason: "Test", message, lastTransitionTime: "2026-11-25T10:00:00Z" });

describe("steward status", () => {
  it("lists only conditions that are not healthy", () => {
    const conditions = [condition("Ready", "True", "ok"), condition("Degraded", "True", "orders-2 is down"), condition("Replicating", "False", "orders-1 stopped"), condition("Paused", "False", "Reconciling")];
    expect(unhealthyConditions(conditions).map((c) => c.type)).toEqual(["Degraded", "Replicating"]);
  });

  it("shows engine, version, ready/desired, primary, the newest backup and problems", () => {
    const backups: DatabaseBackup[] = [
      { apiVersion: "steward.dev/v1alpha1", kind: "DatabaseBackup", metadata: { name: "orders-old", namespace: "shop" }, spec: { cluster: "orders", method: "logical", deletionPolicy: "Delete" }, status: { phase: "Completed", completedAt: "2026-11-24T03:00:00Z" } },
      { apiVersion: "steward.dev/v1alpha1", kind: "DatabaseBackup", metadata: { name: "orders-new", namespace: "shop" }, spec: { cluster: "orders", method: "logical", deletionPolicy: "Delete" }, status: { phase: "Completed", completedAt: "2026-11-25T03:00:00Z" } },
      { apiVersion: "steward.dev/v1alpha1", kind: "DatabaseBackup", metadata: { name: "other", namespace: "shop" }, spec: { cluster: "billing", method: "logical", deletionPolicy: "Delete" }, status: { phase: "Completed", completedAt: "2026-11-25T09:00:00Z" } },
    ];
    const rows = statusRows([cluster("orders", { phase: "Degraded", readyReplicas: 2, currentPrimary: "orders-0", version: "10.11", conditions: [condition("Degraded", "True", "orders-2 is not ready")] })], backups, new Date("2026-11-25T04:00:00Z"));
    expect(rows).toEqual([
      { namespace: "shop", name: "orders", engine: "mysql/mariadb", version: "10.11", ready: "2/3", primary: "orders-0", phase: "Degraded", lastBackup: "orders-new Completed 60m ago", problems: "Degraded: orders-2 is not ready" },
    ]);
    const table = renderStatus(rows, false).split("\n");
    expect(table[0]).toMatch(/^NAME\s+ENGINE\s+VERSION\s+READY\s+PRIMARY\s+PHASE\s+LAST BACKUP\s+PROBLEMS$/);
    expect(table[1]).toContain("orders-new Completed 60m ago");
  });

  it("shows a cluster without status as Pending with no backup", () => {
    const [row] = statusRows([cluster("fresh", undefined)], []);
    expect(row).toMatchObject({ ready: "0/3", primary: "-", phase: "Pending", lastBackup: "-", problems: "-" });
  });
});
