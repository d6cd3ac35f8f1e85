/**
 * Per-database metrics end to end on the local cluster: real kube-apiserver, process runtime,
 * real mariadbd, redis-server and RabbitMQ pods with Debian's exporters in their `metrics`
 * sidecars (RabbitMQ's own plugin), the local S3; the operator runs in this process and serves
 * /metrics. Runbook:
 * - given a 2-node MariaDB cluster (point in time on), a 2-node Redis and a 1-node RabbitMQ
 *   cluster, the operator's /metrics has each cluster's phase, instances and lag labelled
 *   namespace/cluster/engine, and every exporter's pod metrics port serves the metrics the
 *   dashboards use (deploy/monitoring/exporter-metrics.json);
 * - when the MariaDB primary's process is killed, the failover counter moves by one and the
 *   duration metric equals status.lastFailover.durationSeconds;
 * - when a backup Completes, the last-success time equals its completion time; restored into a
 *   new cluster, that cluster's last-restore duration and result follow the DatabaseRestore;
 * - when the Redis cluster is deleted, its series disappear.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { DatabaseBackup, DatabaseCluster, DatabaseRestore } from "../../shared/api/index.js";
import { KubeClient, RESOURCES, type KubeObject } from "../../shared/k8s/client.js";
import type { Manager } from "../../shared/runtime/manager.js";
import { createOperator } from "../../operators/operator.js";
import { loadClusterEngines } from "../../operators/engine.js";
import { ENGINE_PLUGINS } from "../../operators/engines.js";
import { freshNamespace, runtime } from "./local-fixtures.js";
import { databaseClusterObject, ensureCrds, FAST_FAILOVER, readCluster, waitForCluster } from "./cluster-fixtures.js";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, enough of it for these assertions (no escaped quotes in our label values). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match || line.startsWith("#")) continue;
    const labels = Object.fromEntries([...(match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)].map((pair) => [pair[1]!, pair[2]!]));
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

async function scrape(url: string): Promise<Sample[]> {
  // No keep-alive: nothing of this file's should hold the test process open once it is done.
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000), headers: { connection: "close" } });
  expect(response.status, url).toBe(200);
  return parseExposition(await response.text());
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const exporters = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "deploy", "monitoring", "exporter-metrics.json"), "utf8")) as {
  engines: Record<string, { port: number; metrics: Record<string, string[] | { labels: string[]; replicaOnly?: boolean }> }>;
};

let namespace = "";
let removeNamespace: () => Promise<void> = async () => {};
let client: KubeClient;
let manager: Manager;
let metricsUrl = "";

const of = (samples: Sample[], name: string, cluster: string) => samples.filter((sample) => sample.name === name && sample.labels.cluster === cluster && sample.labels.namespace === namespace);

async function operatorSamples(): Promise<Sample[]> {
  return scrape(metricsUrl);
}

/** Until the operator's /metrics satisfies `check` (its figures follow the status within a reconcile). */
async function untilScraped(what: string, check: (samples: Sample[]) => boolean, timeoutMs = 60_000): Promise<Sample[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const samples = await operatorSamples();
    if (check(samples)) return samples;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; steward_cluster_* samples: ${JSON.stringify(samples.filter((sample) => sample.name.startsWith("steward_cluster_")).slice(0, 60))}`);
    await sleep(500);
  }
}

async function pods(cluster: string): Promise<{ name: string; ip: string; role?: string }[]> {
  const list = await client.list<KubeObject & { status?: { podIP?: string } }>(RESOURCES.Pod, namespace, { labelSelector: `steward.dev/cluster=${cluster}` });
  return list.items.filter((pod) => pod.status?.podIP).map((pod) => ({ name: pod.metadata.name, ip: pod.status!.podIP!, role: pod.metadata.labels?.["steward.dev/role"] }));
}

const ready = (replicas: number) => (cluster: DatabaseCluster) => cluster.status?.phase === "Ready" && cluster.status.readyReplicas === replicas;
const describeStatus = (cluster: DatabaseCluster | undefined) => `: ${JSON.stringify(cluster?.status ?? {}).slice(0, 2000)}`;

beforeAll(async () => {
  ({ namespace, remove: removeNamespace } = await freshNamespace("metrics"));
  client = KubeClient.fromKubeconfig(inject("kubeconfig"));
  await ensureCrds(client);
  const local = inject("s3");
  for (const object of [
    { apiVersion: "v1", kind: "Secret", metadata: { name: "s3-creds", namespace }, stringData: { accessKeyId: local.accessKeyId, secretAccessKey: local.secretAccessKey } },
    {
      apiVersion: "steward.dev/v1alpha1",
      kind: "BackupStorage",
      metadata: { name: "plain", namespace },
      spec: { s3: { endpoint: local.endpointInCluster, region: local.region, bucket: local.bucket, prefix: `${namespace}/`, forcePathStyle: true, credentialsSecret: { name: "s3-creds" }, caBundle: local.caBundle } },
    },
    databaseClusterObject(namespace, "orders", { engine: "mysql", flavor: "mariadb", version: "10.11", replicas: 2, storage: { size: "1Gi" }, failover: FAST_FAILOVER, backup: { storage: "plain", pointInTime: { enabled: true } } }),
    databaseClusterObject(namespace, "cache", { engine: "redis", version: "7.0", replicas: 2, storage: { size: "1Gi" }, failover: FAST_FAILOVER }),
    databaseClusterObject(namespace, "queue", { engine: "rabbitmq", replicas: 1, storage: { size: "1Gi" } }),
  ] as KubeObject[]) {
    await client.create(object);
  }
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  manager = createOperator({ client, namespace, leaderElection: false, leaseNamespace: namespace, leaseName: "steward-operator", metricsPort: port, handleSignals: false, engines: await loadClusterEngines(ENGINE_PLUGINS) });
  await manager.start();
  await Promise.all([
    waitForCluster(client, namespace, "orders", 300_000, ready(2), describeStatus),
    waitForCluster(client, namespace, "cache", 300_000, ready(2), describeStatus),
    waitForCluster(client, namespace, "queue", 300_000, ready(1), describeStatus),
  ]);
}, 420_000);

afterAll(async () => {
  await manager?.stop();
  await removeNamespace();
});

describe("given MariaDB, Redis and RabbitMQ clusters on the local cluster", () => {
  it("the operator's /metrics has each cluster's phase, instances and replica lag, labelled namespace, cluster and engine only", async () => {
    const samples = await untilScraped("the three clusters Ready with their lag", (all) =>
      ["orders", "cache", "queue"].every((cluster) => of(all, "steward_cluster_phase", cluster).some((sample) => sample.labels.phase === "Ready" && sample.value === 1)) &&
      ["orders", "cache"].every((cluster) => of(all, "steward_cluster_replication_lag_seconds", cluster).length > 0),
    );
    for (const [cluster, engine, replicas] of [["orders", "mysql", 2], ["cache", "redis", 2], ["queue", "rabbitmq", 1]] as const) {
      expect(of(samples, "steward_cluster_ready_instances", cluster)).toEqual([{ name: "steward_cluster_ready_instances", labels: { namespace, cluster, engine }, value: replicas }]);
      expect(of(samples, "steward_cluster_desired_instances", cluster)[0]?.value).toBe(replicas);
      expect(of(samples, "steward_cluster_failovers_total", cluster)).toHaveLength(1);
      expect(of(samples, "steward_cluster_created_timestamp_seconds", cluster)[0]?.value).toBeGreaterThan(0);
    }
    for (const cluster of ["orders", "cache"]) {
      const lag = of(samples, "steward_cluster_replication_lag_seconds", cluster);
      const replicas = (await readCluster(client, namespace, cluster))!.status!.instances!.filter((instance) => instance.role === "replica").map((instance) => instance.name);
      expect(lag.map((sample) => sample.labels.member).sort()).toEqual(replicas.sort());
      expect(Object.keys(lag[0]!.labels).sort()).toEqual(["cluster", "engine", "member", "namespace"]);
    }
    expect(of(samples, "steward_cluster_pitr_gap", "orders")).toHaveLength(1);
    const clusterSeries = samples.filter((sample) => sample.name.startsWith("steward_cluster_") && sample.labels.namespace === namespace);
    for (const sample of clusterSeries) expect(Object.keys(sample.labels).filter((label) => !["namespace", "cluster", "engine", "phase", "member"].includes(label)), sample.name).toEqual([]);
  });

  it("every exporter's pod metrics port serves the metrics the dashboards use", async () => {
    for (const [cluster, engine] of [["orders", "mysql"], ["cache", "redis"], ["queue", "rabbitmq"]] as const) {
      const documented = exporters.engines[engine]!;
      for (const pod of await pods(cluster)) {
        const names = new Set((await scrape(`http://${pod.ip}:${documented.port}/metrics`)).map((sample) => sample.name));
        const expected = Object.entries(documented.metrics)
          .filter(([, entry]) => Array.isArray(entry) || !entry.replicaOnly || pod.role === "replica")
          .map(([name]) => name);
        expect(expected.filter((name) => !names.has(name)), `${engine} exporter of ${pod.name} (${pod.role ?? "member"})`).toEqual([]);
      }
    }
    const up = await Promise.all((await pods("orders")).map(async (pod) => (await scrape(`http://${pod.ip}:9104/metrics`)).find((sample) => sample.name === "mysql_up")?.value));
    expect(up).toEqual([1, 1]);
    const redisUp = await Promise.all((await pods("cache")).map(async (pod) => (await scrape(`http://${pod.ip}:9121/metrics`)).find((sample) => sample.name === "redis_up")?.value));
    expect(redisUp).toEqual([1, 1]);
  });

  it("after the MariaDB primary is killed the failover counter moves by one and the duration equals status.lastFailover", async () => {
    const before = (await readCluster(client, namespace, "orders"))!;
    const primary = before.status!.currentPrimary!;
    const counted = of(await operatorSamples(), "steward_cluster_failovers_total", "orders")[0]!.value;
    await runtime().crashContainer({ namespace, pod: primary, container: "database" });
    const after = await waitForCluster(client, namespace, "orders", 180_000, (cluster) => Boolean(cluster.status?.lastFailover && cluster.status.lastFailover.at !== before.status?.lastFailover?.at && cluster.status.currentPrimary !== primary), describeStatus);
    const failover = after.status!.lastFailover!;
    expect(failover).toMatchObject({ from: primary, to: after.status!.currentPrimary });
    expect(failover.durationSeconds).toBeGreaterThan(0);
    const samples = await untilScraped("the failover counted", (all) => of(all, "steward_cluster_failovers_total", "orders")[0]?.value === counted + 1);
    expect(of(samples, "steward_cluster_last_failover_duration_seconds", "orders")[0]?.value).toBeCloseTo(failover.durationSeconds!, 6);
    expect(of(samples, "steward_cluster_last_failover_timestamp_seconds", "orders")[0]?.value).toBe(Date.parse(failover.at) / 1000);
    console.log(`failover ${primary} -> ${failover.to}: status.lastFailover.durationSeconds ${failover.durationSeconds}, metric ${of(samples, "steward_cluster_last_failover_duration_seconds", "orders")[0]?.value}`);
  });

  it("after a backup Completes the last-success time and size follow it", async () => {
    await waitForCluster(client, namespace, "orders", 180_000, ready(2), describeStatus);
    const previous = of(await operatorSamples(), "steward_cluster_last_backup_success_timestamp_seconds", "orders")[0]?.value;
    await client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseBackup", metadata: { name: "orders-now", namespace, labels: { "steward.dev/cluster": "orders" } }, spec: { cluster: "orders" } } as KubeObject);
    let backup: DatabaseBackup | undefined;
    const deadline = Date.now() + 240_000;
    while (!backup || (backup.status?.phase !== "Completed" && backup.status?.phase !== "Failed")) {
      if (Date.now() > deadline) throw new Error(`backup not finished: ${JSON.stringify(backup?.status)}`);
      await sleep(1000);
      backup = (await client.get(RESOURCES.DatabaseBackup, namespace, "orders-now")) as unknown as DatabaseBackup | undefined;
    }
    expect(backup.status?.phase, JSON.stringify(backup.status?.error)).toBe("Completed");
    const completedAt = Date.parse(backup.status!.completedAt!) / 1000;
    const samples = await untilScraped("the backup's completion time", (all) => of(all, "steward_cluster_last_backup_success_timestamp_seconds", "orders")[0]?.value === completedAt);
    expect(previous).not.toBe(completedAt);
    expect(of(samples, "steward_cluster_last_backup_size_bytes", "orders")[0]?.value).toBe(backup.status!.size);
    expect(of(samples, "steward_cluster_last_backup_duration_seconds", "orders")[0]?.value).toBeCloseTo(completedAt - Date.parse(backup.status!.startedAt!) / 1000, 6);
  });

  it("after a restore into a new cluster its duration and result follow the DatabaseRestore", async () => {
    await client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseRestore", metadata: { name: "orders-copy", namespace }, spec: { source: { backup: "orders-now" }, target: { newCluster: "orders-copy" } } } as KubeObject);
    let restore: DatabaseRestore | undefined;
    const deadline = Date.now() + 300_000;
    while (!restore || (restore.status?.phase !== "Completed" && restore.status?.phase !== "Failed")) {
      if (Date.now() > deadline) throw new Error(`restore not finished: ${JSON.stringify(restore?.status)}`);
      await sleep(1000);
      restore = (await client.get(RESOURCES.DatabaseRestore, namespace, "orders-copy")) as unknown as DatabaseRestore | undefined;
    }
    expect(restore.status?.phase, JSON.stringify(restore.status?.error)).toBe("Completed");
    const completedAt = Date.parse(restore.status!.completedAt!) / 1000;
    const samples = await untilScraped("the restore's result", (all) => of(all, "steward_cluster_last_restore_timestamp_seconds", "orders-copy")[0]?.value === completedAt);
    expect(of(samples, "steward_cluster_last_restore_success", "orders-copy")).toEqual([{ name: "steward_cluster_last_restore_success", labels: { namespace, cluster: "orders-copy", engine: "mysql" }, value: 1 }]);
    expect(of(samples, "steward_cluster_last_restore_duration_seconds", "orders-copy")[0]?.value).toBeCloseTo(completedAt - Date.parse(restore.status!.startedAt!) / 1000, 6);
    // Its pods only cost CPU from here on.
    await client.delete(RESOURCES.DatabaseCluster, namespace, "orders-copy");
  });

  it("when the Redis cluster is deleted its series disappear", async () => {
    await client.delete(RESOURCES.DatabaseCluster, namespace, "cache");
    const samples = await untilScraped("no series of cache", (all) => all.every((sample) => !(sample.labels.cluster === "cache" && sample.labels.namespace === namespace)));
    expect(of(samples, "steward_cluster_phase", "orders").length).toBeGreaterThan(0);
  });
});
