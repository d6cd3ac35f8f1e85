import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { DatabaseBackup, DatabaseCluster, DatabaseRestore } from "./api/index.js";
import { DATABASE_METRICS, DatabaseMetrics } from "./database-metrics.js";

const NOW = new Date("2026-12-06T12:00:00Z");

function cluster(status: DatabaseCluster["status"], spec: Partial<DatabaseCluster["spec"]> = {}): DatabaseCluster {
  return {
    apiVersion: "steward.dev/v1alpha1",
    kind: "DatabaseCluster",
    metadata: { name: "orders", namespace: "shop", creationTimestamp: "2026-12-01T00:00:00Z" },
    spec: { engine: "mysql", replicas: 3, storage: { size: "1Gi" }, failover: { delaySeconds: 5, dataLoss: "none" }, paused: false, allowScaleDown: false, deletionPolicy: "RetainData", ...spec },
    status,
  } as DatabaseCluster;
}

function backup(name: string, phase: string, startedAt?: string, completedAt?: string, size?: number): DatabaseBackup {
  return { apiVersion: "steward.dev/v1alpha1", kind: "DatabaseBackup", metadata: { name, namespace: "shop" }, spec: { cluster: "orders", method: "logical", deletionPolicy: "Delete" }, status: { phase, startedAt, completedAt, size } } as DatabaseBackup;
}

async function scrape(registry: Registry): Promise<Map<string, number>> {
  const samples = new Map<string, number>();
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const value of metric.values) {
      const labels = Object.entries(value.labels).map(([k, v]) => `${k}=${String(v)}`).sort().join(",");
      samples.set(`${metric.name}{${labels}}`, value.value);
    }
  }
  return samples;
}

const L = "cluster=orders,engine=mysql,namespace=shop";

describe("DatabaseMetrics", () => {
  it("writes phase, instances, lag and the point-in-time window from the cluster's status", async () => {
    const registry = new Registry();
    const metrics = new DatabaseMetrics(registry, () => NOW);
    metrics.observeCluster(
      cluster(
        {
          phase: "Degraded",
          readyReplicas: 2,
          instances: [{ name: "orders-0", role: "primary", ready: true }, { name: "orders-1", role: "replica", ready: true, lagSeconds: 4 }],
          pointInTime: { earliest: "2026-12-06T03:00:00Z", latest: "2026-12-06T11:58:00Z" },
        },
        { backup: { storage: "s3", compression: "zstd", verify: false, pointInTime: { enabled: true } } },
      ),
    );
    const samples = await scrape(registry);
    expect(samples.get(`steward_cluster_phase{${L},phase=Degraded}`)).toBe(1);
    expect(samples.get(`steward_cluster_phase{${L},phase=Ready}`)).toBe(0);
    expect(samples.get(`steward_cluster_desired_instances{${L}}`)).toBe(3);
    expect(samples.get(`steward_cluster_ready_instances{${L}}`)).toBe(2);
    expect(samples.get(`steward_cluster_replication_lag_seconds{cluster=orders,engine=mysql,member=orders-1,namespace=shop}`)).toBe(4);
    expect(samples.has(`steward_cluster_replication_lag_seconds{cluster=orders,engine=mysql,member=orders-0,namespace=shop}`)).toBe(false);
    expect(samples.get(`steward_cluster_pitr_archive_lag_seconds{${L}}`)).toBe(120);
    expect(samples.get(`steward_cluster_pitr_gap{${L}}`)).toBe(0);
    expect(samples.get(`steward_cluster_pitr_window_start_timestamp_seconds{${L}}`)).toBe(Date.parse("2026-12-06T03:00:00Z") / 1000);
  });

  it("counts a failover when status.lastFailover changes, not the one it found at start", async () => {
    const registry = new Registry();
    const metrics = new DatabaseMetrics(registry, () => NOW);
    const first = { from: "orders-1", to: "orders-0", at: "2026-12-05T00:00:00Z", reason: "old", durationSeconds: 9 };
    metrics.observeCluster(cluster({ phase: "Ready", lastFailover: first }));
    metrics.observeCluster(cluster({ phase: "Ready", lastFailover: first }));
    expect((await scrape(registry)).get(`steward_cluster_failovers_total{${L}}`)).toBe(0);
    metrics.observeCluster(cluster({ phase: "Ready", lastFailover: { from: "orders-0", to: "orders-1", at: "2026-12-06T11:00:00Z", reason: "killed", durationSeconds: 6.5 } }));
    const samples = await scrape(registry);
    expect(samples.get(`steward_cluster_failovers_total{${L}}`)).toBe(1);
    expect(samples.get(`steward_cluster_last_failover_duration_seconds{${L}}`)).toBe(6.5);
    expect(samples.get(`steward_cluster_last_failover_timestamp_seconds{${L}}`)).toBe(Date.parse("2026-12-06T11:00:00Z") / 1000);
  });

  it("keeps the newest Completed backup, counts failures without ever going down, and the schedule's interval", async () => {
    const registry = new Registry();
    const metrics = new DatabaseMetrics(registry, () => NOW);
    const spec = { backup: { storage: "s3", schedule: "0 */6 * * *", compression: "zstd" as const, verify: false } };
    metrics.observeCluster(cluster({ phase: "Ready" }, spec));
    metrics.observeBackups(cluster({ phase: "Ready" }, spec), [
      backup("a", "Completed", "2026-12-06T03:00:00Z", "2026-12-06T03:00:30Z", 1000),
      backup("b", "Completed", "2026-12-06T09:00:00Z", "2026-12-06T09:01:00Z", 2000),
      backup("c", "Failed", "2026-12-06T10:00:00Z", "2026-12-06T10:00:05Z"),
    ]);
    // Retention removed the failed one: the counter stays.
    metrics.observeBackups(cluster({ phase: "Ready" }, spec), [backup("b", "Completed", "2026-12-06T09:00:00Z", "2026-12-06T09:01:00Z", 2000)]);
    const samples = await scrape(registry);
    expect(samples.get(`steward_cluster_last_backup_success_timestamp_seconds{${L}}`)).toBe(Date.parse("2026-12-06T09:01:00Z") / 1000);
    expect(samples.get(`steward_cluster_last_backup_duration_seconds{${L}}`)).toBe(60);
    expect(samples.get(`steward_cluster_last_backup_size_bytes{${L}}`)).toBe(2000);
    expect(samples.get(`steward_cluster_backup_failures_total{${L}}`)).toBe(1);
    expect(samples.get(`steward_cluster_backup_schedule_interval_seconds{${L}}`)).toBe(6 * 3600);
  });

  it("records the newest finished restore into a cluster", async () => {
    const registry = new Registry();
    const metrics = new DatabaseMetrics(registry, () => NOW);
    metrics.observeCluster(cluster({ phase: "Ready" }));
    const restore = (name: string, phase: string, startedAt: string, completedAt: string) =>
      ({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseRestore", metadata: { name, namespace: "shop" }, spec: { source: { backup: "b" }, target: {} }, status: { phase, startedAt, completedAt, targetCluster: "orders" } }) as DatabaseRestore;
    metrics.observeRestore(restore("r2", "Failed", "2026-12-06T10:00:00Z", "2026-12-06T10:00:10Z"));
    metrics.observeRestore(restore("r1", "Completed", "2026-12-06T09:00:00Z", "2026-12-06T09:02:00Z"));
    const samples = await scrape(registry);
    expect(samples.get(`steward_cluster_last_restore_success{${L}}`)).toBe(0);
    expect(samples.get(`steward_cluster_last_restore_duration_seconds{${L}}`)).toBe(10);
  });

  it("drops every series of a forgotten cluster", async () => {
    const registry = new Registry();
    const metrics = new DatabaseMetrics(registry, () => NOW);
    metrics.observeCluster(cluster({ phase: "Ready", readyReplicas: 3, instances: [{ name: "orders-1", role: "replica", ready: true, lagSeconds: 0 }] }));
    expect([...(await scrape(registry)).keys()].some((name) => name.includes("cluster=orders"))).toBe(true);
    metrics.forget("shop", "orders");
    expect([...(await scrape(registry)).keys()].filter((name) => name.includes("cluster=orders"))).toEqual([]);
  });

  it("lists every metric it registers, with its labels", async () => {
    const registry = new Registry();
    new DatabaseMetrics(registry);
    const registered = registry.getMetricsAsArray().map((metric) => metric.name).sort();
    expect(DATABASE_METRICS.map((metric) => metric.name).sort()).toEqual(registered);
  });
});
