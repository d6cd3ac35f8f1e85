/**
 * The operator installed as users install it: the Helm chart through the real `helm` CLI, the
 * operator a pod in steward-system under the chart's ServiceAccount, with the chart's Roles in
 * one watched namespace only (the least-privilege mode: no cluster-wide permission at all), on
 * the real kube-apiserver with RBAC, in a namespace that enforces Pod Security "restricted".
 * Read as a runbook:
 * - given the chart installed with watchNamespaces=[ns], the operator pod is Ready;
 * - when a MariaDB cluster is created, backed up and restored into a new cluster, each step
 *   completes and the restored cluster holds the rows; a Redis and a one-node RabbitMQ cluster
 *   the same (created, backed up, restored, Ready);
 * - then neither the operator's log nor any Event in the namespaces says "forbidden" or names a
 *   PodSecurity violation;
 * - and `helm uninstall` removes the operator and its RBAC but keeps the CRDs and the clusters.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createConnection, type RowDataPacket } from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { DatabaseBackup, DatabaseCluster, DatabaseRestore } from "../../shared/api/index.js";
import { KubeClient, RESOURCES, type KubeObject } from "../../shared/k8s/client.js";
import { readSecret } from "../../shared/secrets.js";
import { OPERATOR_NAMESPACE, installOperatorChart, uninstallOperatorChart } from "../../local/operator-chart.js";
import { createLocalBackupStorage, ensureCrds } from "./cluster-fixtures.js";
import { restrictedNamespace } from "./local-fixtures.js";

const RELEASE = "steward-e2e";
const CLUSTER = "shop";
let namespace = "";
let remove: () => Promise<void> = async () => {};
let client: KubeClient;
let installed = false;

async function until<T>(what: string, read: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\noperator log tail:\n${operatorLog().split("\n").slice(-30).join("\n")}`);
    await sleep(1000);
  }
}

/** The operator container's output, from the process runtime's log folder (the runtime serves no kubelet log API). */
function operatorLog(): string {
  const pods = join(inject("stateDir"), "runtime", "pods");
  let text = "";
  for (const dir of readdirSync(pods).filter((name) => name.startsWith(`${OPERATOR_NAMESPACE}_${RELEASE}-`))) {
    for (const file of ["operator.previous.log", "operator.log"]) {
      try {
        text += readFileSync(join(pods, dir, "logs", file), "utf8");
      } catch {
        // not written (yet)
      }
    }
  }
  return text;
}

async function phase<T extends { status?: { phase?: string } }>(type: typeof RESOURCES.DatabaseBackup, name: string): Promise<T | undefined> {
  return (await client.get(type, namespace, name)) as unknown as T | undefined;
}

/** Ready, and with a primary where the engine has one (RabbitMQ has none). */
async function readyCluster(name: string, primary = true): Promise<DatabaseCluster> {
  return until(`cluster ${name} Ready`, async () => {
    const cluster = (await client.get(RESOURCES.DatabaseCluster, namespace, name)) as unknown as DatabaseCluster | undefined;
    return cluster?.status?.phase === "Ready" && (!primary || cluster.status.currentPrimary) ? cluster : undefined;
  }, 300_000);
}

async function root(cluster: string) {
  const credentials = await readSecret(client, namespace, `${cluster}-credentials`);
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await createConnection({ host: `${cluster}-primary.${namespace}.svc`, port: 3306, user: "root", password: credentials!.root, database: "shop", multipleStatements: true });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(500);
    }
  }
}

beforeAll(async () => {
  ({ namespace, remove } = await restrictedNamespace("in-cluster"));
  client = KubeClient.fromKubeconfig(inject("kubeconfig"));
  await ensureCrds(client);
  await createLocalBackupStorage(client, namespace, inject("s3"), { name: "s3", prefix: `${namespace}/` });
  // Without the built-in templates: on the suite's shared cluster other files apply them (and their
  // role) with kubectl, and helm refuses to take over objects it did not make.
  await installOperatorChart({ kubeconfig: inject("kubeconfig"), release: RELEASE, replicas: 1, set: [`watchNamespaces={${namespace}}`, "catalog.enabled=false"], log: (line) => console.log(`[chart] ${line}`) });
  installed = true;
}, 600_000);

afterAll(async () => {
  if (installed) await uninstallOperatorChart(inject("kubeconfig"), RELEASE).catch((error: unknown) => console.log(`helm uninstall failed: ${String(error)}`));
  await client?.close();
  await remove();
});

describe("the operator from the Helm chart, under the chart's RBAC, in a restricted namespace", () => {
  it("runs as a Ready pod under the chart's ServiceAccount", async () => {
    const pods = await client.list<KubeObject & { spec: { serviceAccountName?: string }; status?: { conditions?: { type: string; status: string }[] } }>(RESOURCES.Pod, OPERATOR_NAMESPACE, { labelSelector: `app.kubernetes.io/instance=${RELEASE}` });
    expect(pods.items).toHaveLength(1);
    expect(pods.items[0]!.spec.serviceAccountName).toBe(RELEASE);
    expect(pods.items[0]!.status?.conditions?.find((condition) => condition.type === "Ready")?.status).toBe("True");
  });

  it("creates, backs up and restores a MariaDB cluster", async () => {
    await client.create({
      apiVersion: "steward.dev/v1alpha1",
      kind: "DatabaseCluster",
      metadata: { name: CLUSTER, namespace },
      spec: { engine: "mysql", flavor: "mariadb", version: "10.11", replicas: 2, storage: { size: "1Gi" }, database: "shop", backup: { storage: "s3" } },
    } as KubeObject);
    await readyCluster(CLUSTER);
    const sql = await root(CLUSTER);
    await sql.query("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(64)); INSERT INTO items VALUES (1, 'one'), (2, 'two'), (3, 'three')");
    await sql.end();

    await client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseBackup", metadata: { name: "b1", namespace }, spec: { cluster: CLUSTER } } as KubeObject);
    const backup = await until("backup b1 Completed or Failed", async () => {
      const read = await phase<DatabaseBackup>(RESOURCES.DatabaseBackup, "b1");
      return read?.status?.phase === "Completed" || read?.status?.phase === "Failed" ? read : undefined;
    }, 300_000);
    expect(backup.status?.phase, JSON.stringify(backup.status)).toBe("Completed");

    await client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseRestore", metadata: { name: "r1", namespace }, spec: { source: { backup: "b1" }, target: { newCluster: "copy" } } } as KubeObject);
    const restore = await until("restore r1 Completed or Failed", async () => {
      const read = await phase<DatabaseRestore>(RESOURCES.DatabaseRestore, "r1");
      return read?.status?.phase === "Completed" || read?.status?.phase === "Failed" ? read : undefined;
    }, 400_000);
    expect(restore.status?.phase, JSON.stringify(restore.status)).toBe("Completed");
    await readyCluster("copy");
    const copy = await root("copy");
    const [rows] = await copy.query<RowDataPacket[]>("SELECT id, name FROM items ORDER BY id");
    await copy.end();
    expect(rows.map((row) => `${row.id}:${row.name}`)).toEqual(["1:one", "2:two", "3:three"]);
  }, 1_200_000);

  it("creates, backs up and restores a Redis cluster", async () => {
    await client.create({
      apiVersion: "steward.dev/v1alpha1",
      kind: "DatabaseCluster",
      metadata: { name: "cache", namespace },
      spec: { engine: "redis", version: "7.0", replicas: 2, storage: { size: "1Gi" }, backup: { storage: "s3" } },
    } as KubeObject);
    await readyCluster("cache");
    await client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseBackup", metadata: { name: "cache-b1", namespace }, spec: { cluster: "cache" } } as KubeObject);
    const backup = await until("backup cache-b1 Completed or Failed", async () => {
      const read = await phase<DatabaseBackup>(RESOURCES.DatabaseBackup, "cache-b1");
      return read?.status?.phase === "Completed" || read?.status?.phase === "Failed" ? read : undefined;
    }, 300_000);
    expect(backup.status?.phase, JSON.stringify(backup.status)).toBe("Completed");
    await client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseRestore", metadata: { name: "cache-r1", namespace }, spec: { source: { backup: "cache-b1" }, target: { newCluster: "cache-copy" } } } as KubeObject);
    const restore = await until("restore cache-r1 Completed or Failed", async () => {
      const read = await phase<DatabaseRestore>(RESOURCES.DatabaseRestore, "cache-r1");
      return read?.status?.phase === "Completed" || read?.status?.phase === "Failed" ? read : undefined;
    }, 400_000);
    expect(restore.status?.phase, JSON.stringify(restore.status)).toBe("Completed");
    await readyCluster("cache-copy");
  }, 1_200_000);

  it("creates, backs up and restores a RabbitMQ cluster", async () => {
    await client.create({
      apiVersion: "steward.dev/v1alpha1",
      kind: "DatabaseCluster",
      metadata: { name: "queue", namespace },
      spec: { engine: "rabbitmq", replicas: 1, storage: { size: "1Gi" }, backup: { storage: "s3" } },
    } as KubeObject);
    await readyCluster("queue", false);
    await client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseBackup", metadata: { name: "queue-b1", namespace }, spec: { cluster: "queue" } } as KubeObject);
    const backup = await until("backup queue-b1 Completed or Failed", async () => {
      const read = await phase<DatabaseBackup>(RESOURCES.DatabaseBackup, "queue-b1");
      return read?.status?.phase === "Completed" || read?.status?.phase === "Failed" ? read : undefined;
    }, 300_000);
    expect(backup.status?.phase, JSON.stringify(backup.status)).toBe("Completed");
    await client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseRestore", metadata: { name: "queue-r1", namespace }, spec: { source: { backup: "queue-b1" }, target: { newCluster: "queue-copy" } } } as KubeObject);
    const restore = await until("restore queue-r1 Completed or Failed", async () => {
      const read = await phase<DatabaseRestore>(RESOURCES.DatabaseRestore, "queue-r1");
      return read?.status?.phase === "Completed" || read?.status?.phase === "Failed" ? read : undefined;
    }, 400_000);
    expect(restore.status?.phase, JSON.stringify(restore.status)).toBe("Completed");
    await readyCluster("queue-copy", false);
  }, 1_200_000);

  it("left no RBAC or Pod Security refusal in the operator's log or the Events", async () => {
    const log = operatorLog();
    // The right log: the operator's own lines about this namespace's clusters.
    expect(log).toContain(namespace);
    expect(log.length).toBeGreaterThan(0);
    expect(log.split("\n").filter((line) => /forbidden|violates PodSecurity/i.test(line))).toEqual([]);
    for (const where of [namespace, OPERATOR_NAMESPACE]) {
      const events = await client.list<KubeObject & { reason?: string; message?: string; note?: string }>(RESOURCES.CoreEvent, where);
      const refusals = events.items.filter((event) => /forbidden|violates PodSecurity/i.test(`${event.message ?? ""} ${event.note ?? ""}`));
      expect(refusals.map((event) => `${where}: ${event.reason}: ${event.message}`)).toEqual([]);
    }
  });

  it("helm uninstall removes the operator and its RBAC, and keeps the CRDs and the clusters", async () => {
    await uninstallOperatorChart(inject("kubeconfig"), RELEASE);
    installed = false;
    expect(await client.get(RESOURCES.Deployment, OPERATOR_NAMESPACE, RELEASE)).toBeUndefined();
    expect(await client.get(RESOURCES.Role, namespace, RELEASE)).toBeUndefined();
    expect(await client.get(RESOURCES.CustomResourceDefinition, undefined, "databaseclusters.steward.dev")).toBeDefined();
    expect(await client.get(RESOURCES.DatabaseCluster, namespace, CLUSTER)).toBeDefined();
  }, 180_000);
});
