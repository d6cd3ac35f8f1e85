/**
 * The DBA's command line against the real API server: DatabaseClusters, DatabaseBackups and
 * Events written as the operator writes them (status through /status), then the CLI's commands
 * run in-process with a fixed clock (tables compared with golden files in cli-golden/) and, for
 * exit codes, newlines and the kubectl plugin, as child processes. No operator runs here: the
 * test writes the statuses the operator would.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, inject, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { runCli } from "../../cli/program.js";
import type { CliIo } from "../../cli/output.js";
import { databaseBackup, databaseCluster, databaseRestore } from "../../shared/api/index.js";
import { EventRecorder } from "../../shared/events.js";
import { RESOURCES, type KubeObject } from "../../shared/k8s/client.js";
import { useTestNamespace, waitFor } from "./runtime-fixtures.js";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "..", "..");
const NOW = new Date("2026-11-25T04:00:00Z");
const test = useTestNamespace("cli", { crds: true });

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process: its own stdout and stderr, the fixed clock, fast polling. */
async function steward(...args: string[]): Promise<Result> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) }, env: {}, now: () => NOW, pollMs: 100 };
  // version reads the whole cluster: it has no namespace flag.
  const scope = args[0] === "version" ? [] : ["-n", test.namespace];
  const code = await runCli([...args, "--kubeconfig", inject("kubeconfig"), ...scope], { io });
  // Golden files hold NAMESPACE where each run has its own namespace.
  return { code, stdout: stdout.replaceAll(test.namespace, "NAMESPACE"), stderr: stderr.replaceAll(test.namespace, "NAMESPACE") };
}

const condition = (type: string, status: "True" | "False", reason: string, message: string, at = "2026-11-25T03:55:00Z") => ({ type, status, reason, message, lastTransitionTime: at });

async function create(object: Record<string, unknown>, status?: Record<string, unknown>): Promise<KubeObject> {
  const created = await test.client.create({ ...object, metadata: { ...(object.metadata as object), namespace: test.namespace } } as KubeObject);
  if (!status) return created;
  return test.client.replace({ ...created, status } as KubeObject, { subresource: "status" });
}

const backup = (name: string, status: Record<string, unknown>) =>
  create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseBackup", metadata: { name, labels: { "steward.dev/cluster": "orders" } }, spec: { cluster: "orders" } }, status);

const completed = (day: string, size: number, verified?: boolean) => ({
  phase: "Completed",
  startedAt: `2026-11-${day}T03:00:01Z`,
  completedAt: `2026-11-${day}T03:02:31Z`,
  consistentAt: `2026-11-${day}T03:00:05Z`,
  size,
  checksum: "sha256:00",
  location: `s3://backups/shop/orders/backups/orders-202611${day}-0300/data.sql.zst`,
  ...(verified === undefined ? {} : { verification: { result: verified ? "Verified" : "Failed", message: verified ? "restored 12 tables, checksums match" : "table t1 differs", checkedAt: `2026-11-${day}T03:10:00Z` } }),
});

describe("steward CLI on the real API server", () => {
  it("sets up clusters, backups, a storage and events as the operator would", async () => {
    await create(
      { apiVersion: "steward.dev/v1alpha1", kind: "BackupStorage", metadata: { name: "s3" }, spec: { s3: { endpoint: "https://s3.example:7070", bucket: "backups", prefix: "shop/", forcePathStyle: true, credentialsSecret: { name: "s3-creds" } } } },
      { phase: "Available", conditions: [condition("Available", "True", "Checked", "wrote, read and removed a test object")] },
    );
    await create(
      {
        apiVersion: "steward.dev/v1alpha1",
        kind: "DatabaseCluster",
        metadata: { name: "orders" },
        spec: { engine: "mysql", flavor: "mariadb", version: "10.11", replicas: 3, backup: { storage: "s3", schedule: "0 3 * * *", retention: { keepLast: 3 }, pointInTime: { enabled: true }, verify: true } },
      },
      {
        phase: "Degraded",
        version: "10.11",
        readyReplicas: 2,
        currentPrimary: "orders-0",
        endpoints: { primary: "orders-primary.shop.svc:3306", readOnly: "orders-replicas.shop.svc:3306" },
        connectionSecret: "orders-conn",
        instances: [
          { name: "orders-0", role: "primary", ready: true, replication: "Primary" },
          { name: "orders-1", role: "replica", ready: true, lagSeconds: 0, replication: "Running" },
          { name: "orders-2", role: "replica", ready: false, replication: "Connecting", message: "container mariadb restarting" },
        ],
        conditions: [condition("Ready", "False", "InstancesNotReady", "orders-2 is not ready"), condition("Degraded", "True", "InstancesNotReady", "orders-2 is not ready")],
        pointInTime: { earliest: "2026-11-22T03:00:05Z", latest: "2026-11-25T03:59:50Z", gaps: [{ from: "2026-11-23T14:00:00Z", to: "2026-11-24T03:00:04Z", reason: "2 log segments of orders-0 between mysql-bin.000004 and mysql-bin.000007 never reached the archive; recoverable again from the next backup" }] },
      },
    );
    await create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", metadata: { name: "cache" }, spec: { engine: "redis", replicas: 1 } }, { phase: "Ready", version: "7.0", readyReplicas: 1, currentPrimary: "cache-0", conditions: [condition("Ready", "True", "AllInstancesReady", "1/1 ready")] });
    await backup("orders-20261122-0300", completed("22", 12_582_912, true));
    await backup("orders-20261123-0300", completed("23", 13_107_200, true));
    await backup("orders-20261124-0300", completed("24", 13_631_488));
    await backup("orders-20261125-0300", { phase: "Failed", startedAt: "2026-11-25T03:00:01Z", completedAt: "2026-11-25T03:00:09Z", error: { step: "upload", message: "S3 UploadPart failed: HTTP 503 SlowDown" } });
    const cluster = await test.client.get(RESOURCES.DatabaseCluster, test.namespace, "orders");
    const events = new EventRecorder(test.client, "steward-test", "steward-test", { now: () => new Date("2026-11-25T03:00:09Z") });
    await events.warning(cluster!, "BackupFailed", "Backup orders-20261125-0300 failed at upload: S3 UploadPart failed: HTTP 503 SlowDown");
    await new EventRecorder(test.client, "steward-test", "steward-test", { now: () => new Date("2026-11-25T03:55:00Z") }).warning(cluster!, "InstanceNotReady", "orders-2 stopped answering its readiness probe");
    // A pod of the cluster that no scheduler takes: its status is written here, as a kubelet would.
    const pod = await create({ apiVersion: "v1", kind: "Pod", metadata: { name: "orders-0", labels: { "steward.dev/cluster": "orders" } }, spec: {
        schedulerName: "nobody",
        securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
        containers: [{ name: "mariadb", image: "mariadb:10.11", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }],
      },
    });
    await test.client.replace({ ...pod, status: { phase: "Running", podIP: "10.0.0.7", startTime: "2026-11-24T04:00:00Z", containerStatuses: [{ name: "mariadb", image: "mariadb:10.11", imageID: "", ready: true, restartCount: 2, state: { running: { startedAt: "2026-11-24T04:00:00Z" } } }] } } as KubeObject, { subresource: "status" });
    await waitFor("the events to be listed", async () => (await test.client.list(RESOURCES.Event, test.namespace)).items.length >= 2, 10_000);
  });

  it("status: one line per cluster; json and yaml are the resources", async () => {
    const table = await steward("status");
    expect(table.code).toBe(0);
    await expect(table.stdout).toMatchFileSnapshot("cli-golden/status-list.txt");
    const json = await steward("status", "-o", "json");
    const list = JSON.parse(json.stdout) as { kind: string; items: unknown[] };
    expect(list.kind).toBe("List");
    expect(list.items.map((item) => databaseCluster.parse(item).metadata.name).sort()).toEqual(["cache", "orders"]);
    const yaml = databaseCluster.parse(parseYaml((await steward("status", "orders", "-o", "yaml")).stdout));
    expect(yaml.status?.pointInTime).toEqual({ earliest: "2026-11-22T03:00:05Z", latest: "2026-11-25T03:59:50Z", gaps: [{ from: "2026-11-23T14:00:00Z", to: "2026-11-24T03:00:04Z", reason: "2 log segments of orders-0 between mysql-bin.000004 and mysql-bin.000007 never reached the archive; recoverable again from the next backup" }] });
    expect(yaml.metadata.managedFields).toBeUndefined();
  });

  it("status CLUSTER: summary, instances, backups, point in time, events; -v adds conditions and pods", async () => {
    const plain = await steward("status", "orders");
    expect(plain.code).toBe(0);
    await expect(plain.stdout).toMatchFileSnapshot("cli-golden/status-orders.txt");
    const verbose = await steward("status", "orders", "-v");
    await expect(verbose.stdout).toMatchFileSnapshot("cli-golden/status-orders-verbose.txt");
    await expect((await steward("status", "cache")).stdout).toMatchFileSnapshot("cli-golden/status-cache.txt");
  });

  it("backups CLUSTER: every backup, what retention removes next; --restorable and json parse back", async () => {
    const all = await steward("backups", "orders");
    expect(all.code).toBe(0);
    await expect(all.stdout).toMatchFileSnapshot("cli-golden/backups-orders.txt");
    await expect((await steward("backups", "orders", "--restorable")).stdout).toMatchFileSnapshot("cli-golden/backups-orders-restorable.txt");
    const json = JSON.parse((await steward("backups", "orders", "--restorable", "-o", "json")).stdout) as { items: unknown[] };
    expect(json.items.map((item) => databaseBackup.parse(item).metadata.name)).toEqual(["orders-20261124-0300", "orders-20261123-0300", "orders-20261122-0300"]);
  });

  it("restore --time outside the window is refused before anything is created, and says the window", async () => {
    for (const time of ["2026-11-21T12:00:00Z", "2026-11-25T04:30:00Z"]) {
      const refused = await steward("restore", "--cluster", "orders", "--time", time, "--to", "orders-copy");
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("the recoverable window (2026-11-22T03:00:05Z .. 2026-11-25T03:59:50Z)");
    }
    expect((await test.client.list(RESOURCES.DatabaseRestore, test.namespace)).items).toEqual([]);
    expect(await test.client.get(RESOURCES.DatabaseCluster, test.namespace, "orders-copy")).toBeUndefined();
  });

  it("restore --dry-run prints the plan, or the DatabaseRestore it would create, and creates nothing", async () => {
    const plan = await steward("restore", "--cluster", "orders", "--time", "2026-11-24 11:30:00", "--tz", "Europe/Berlin", "--to", "orders-copy", "--dry-run");
    expect(plan.code).toBe(0);
    await expect(plan.stdout).toMatchFileSnapshot("cli-golden/restore-dry-run.txt");
    const inPlace = await steward("restore", "--backup", "orders-20261123-0300", "--in-place", "--confirm", "--dry-run");
    await expect(inPlace.stdout).toMatchFileSnapshot("cli-golden/restore-dry-run-in-place.txt");
    const yaml = databaseRestore.parse(parseYaml((await steward("restore", "--cluster", "orders", "--time", "2026-11-24T10:30:00Z", "--to", "orders-copy", "--dry-run", "-o", "yaml")).stdout));
    expect(yaml.spec).toEqual({ source: { cluster: "orders", pointInTime: "2026-11-24T10:30:00Z" }, target: { newCluster: "orders-copy" } });
    // What the dry run prints is what the API server accepts: create it for real.
    const created = await test.client.create({ ...yaml, metadata: { name: "from-dry-run", namespace: test.namespace } } as KubeObject);
    expect(databaseRestore.parse(created).spec.source.pointInTime).toBe("2026-11-24T10:30:00Z");
    expect((await steward("restore", "--backup", "orders-20261125-0300", "--dry-run")).stderr).toContain("backup orders-20261125-0300 is Failed: only a Completed backup can be restored");
    expect((await steward("restore", "--backup", "orders-20261123-0300", "--to", "cache", "--dry-run")).stderr).toContain("a DatabaseCluster cache already exists");
  });

  it("exit codes: 2 for usage, 3 for not found, 1 for a Failed backup, 4 when waiting times out", async () => {
    expect((await steward("status", "--bogus")).code).toBe(2);
    expect((await steward("restore", "--cluster", "orders", "--time", "2026-11-24 10:00:00")).code).toBe(2);
    expect((await steward("backup", "orders", "--wait", "--no-follow")).code).toBe(2);
    for (const args of [["status", "nonexistent"], ["backups", "nonexistent"], ["backup", "nonexistent"], ["restore", "--backup", "nonexistent", "--dry-run"], ["switchover", "nonexistent"]]) {
      const result = await steward(...args);
      expect({ args, code: result.code }).toEqual({ args, code: 3 });
      expect(result.stderr).toMatch(/not found in namespace NAMESPACE.*\n$/);
    }
    // Nobody runs the backup: waiting for it ends with 4 and says it keeps running.
    const timedOut = await steward("backup", "orders", "--name", "orders-wait", "--timeout", "1s");
    expect(timedOut.code).toBe(4);
    expect(timedOut.stderr).toContain("DatabaseBackup orders-wait is still Pending after 1s; it keeps running");
    // Played operator: the followed backup runs, then fails; the CLI shows progress and exits 1.
    const following = steward("backup", "orders", "--name", "orders-fails");
    await waitFor("the CLI to create the backup", async () => (await test.client.get(RESOURCES.DatabaseBackup, test.namespace, "orders-fails")) !== undefined, 10_000);
    const raw = (await test.client.get(RESOURCES.DatabaseBackup, test.namespace, "orders-fails"))!;
    const running = await test.client.replace({ ...raw, status: { phase: "Running", progress: { bytes: 4_194_304, updatedAt: "2026-11-25T04:00:00Z" } } } as KubeObject, { subresource: "status" });
    await sleep(300);
    await test.client.replace({ ...running, status: { phase: "Failed", error: { step: "dump", message: "mariadb-dump exited with code 2" } } } as KubeObject, { subresource: "status" });
    const failed = await following;
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("Running    4.0 MiB / ~13.0 MiB");
    expect(failed.stderr).toMatch(/Backup orders-fails failed at dump: mariadb-dump exited with code 2\n$/);
  });

  it("restore follows the DatabaseRestore: plan, phase, bytes of total, then the result; --no-follow -o json returns it at once", async () => {
    const following = steward("restore", "--backup", "orders-20261123-0300", "--to", "orders-restored", "--name", "orders-restore-1");
    await waitFor("the CLI to create the restore", async () => (await test.client.get(RESOURCES.DatabaseRestore, test.namespace, "orders-restore-1")) !== undefined, 10_000);
    const raw = (await test.client.get(RESOURCES.DatabaseRestore, test.namespace, "orders-restore-1"))!;
    const running = await test.client.replace({ ...raw, status: { phase: "Running", targetCluster: "orders-restored", progress: { bytes: 6_553_600, totalBytes: 13_107_200, updatedAt: "2026-11-25T04:00:00Z" } } } as KubeObject, { subresource: "status" });
    await sleep(300);
    await test.client.replace({ ...running, status: { phase: "Completed", targetCluster: "orders-restored", verification: { checkedAt: "2026-11-25T04:01:00Z", tables: [{ table: "shop.orders", checksum: "1" }, { table: "shop.items", checksum: "2" }] } } } as KubeObject, { subresource: "status" });
    const done = await following;
    expect(done.code).toBe(0);
    expect(done.stderr).toContain("Target:        new cluster orders-restored");
    expect(done.stderr).toContain("Running    [###############...............]  50%  6.3 MiB / 12.5 MiB");
    expect(done.stdout).toBe("Restore orders-restore-1 completed into orders-restored; 2 tables checksummed (kubectl get dbr orders-restore-1 -o yaml)\n");
    const returned = await steward("restore", "--backup", "orders-20261122-0300", "--to", "orders-restored-2", "--name", "orders-restore-2", "--no-follow", "-o", "json");
    expect(returned.code).toBe(0);
    expect(databaseRestore.parse(JSON.parse(returned.stdout)).spec).toEqual({ source: { backup: "orders-20261122-0300" }, target: { newCluster: "orders-restored-2" } });
  });

  it("completion: names of clusters and backups from the API", async () => {
    const complete = async (...words: string[]) => (await runCompletion(words)).split("\n").filter(Boolean);
    expect(await complete("status", "-n", test.namespace, "")).toEqual(["cache", "orders"]);
    expect(await complete("restore", "-n", test.namespace, "--backup", "orders-2026112")).toEqual(["orders-20261122-0300", "orders-20261123-0300", "orders-20261124-0300", "orders-20261125-0300"]);
    expect(await complete("backups", "-o", "")).toEqual(["table", "json", "yaml"]);
  });

  it("as a child process: exit codes, a newline after every message, no colour off a terminal; kubectl steward after npm install -g", async () => {
    const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}`, FORCE_COLOR: "1" };
    const child = async (file: string, args: string[]) => {
      try {
        const { stdout, stderr } = await run(file, args, { env, cwd: ROOT });
        return { code: 0, stdout, stderr };
      } catch (error) {
        const failed = error as { code: number; stdout: string; stderr: string };
        return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
      }
    };
    const missing = await child(process.execPath, [join(ROOT, "bin", "steward.js"), "status", "nonexistent", "-n", test.namespace, "--kubeconfig", inject("kubeconfig")]);
    expect(missing).toEqual({ code: 3, stdout: "", stderr: `steward: DatabaseCluster nonexistent not found in namespace ${test.namespace}\n` });
    const listed = await child(process.execPath, [join(ROOT, "bin", "steward.js"), "status", "orders", "-n", test.namespace, "--kubeconfig", inject("kubeconfig")]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain("\x1b");
    expect(listed.stdout.endsWith("\n")).toBe(true);
    // npm install -g from this checkout puts both commands on the PATH; kubectl finds the plugin there.
    const prefix = mkdtempSync(join(tmpdir(), "steward-global-"));
    try {
      await run("npm", ["install", "-g", "--prefix", prefix, "--no-audit", "--no-fund", "--ignore-scripts", ROOT], { env });
      const pluginEnv = { ...env, PATH: `${dirname(process.execPath)}:${join(prefix, "bin")}:${dirname(inject("kubectl"))}:${process.env.PATH}` };
      const plugin = await run(inject("kubectl"), ["steward", "status", "orders", "-n", test.namespace, "-o", "json", "--kubeconfig", inject("kubeconfig")], { env: pluginEnv });
      expect(databaseCluster.parse(JSON.parse(plugin.stdout)).metadata.name).toBe("orders");
      const notFound = await run(inject("kubectl"), ["steward", "backups", "nonexistent", "-n", test.namespace, "--kubeconfig", inject("kubeconfig")], { env: pluginEnv }).catch((error: { code: number; stderr: string }) => error);
      expect(notFound).toMatchObject({ code: 3, stderr: `kubectl steward: DatabaseCluster nonexistent not found in namespace ${test.namespace}\n` });
      // Real bash, the script as a user sources it, completing a cluster name from the API.
      const words = ["steward", "status", "--kubeconfig", inject("kubeconfig"), "-n", test.namespace, "or"];
      const script = `source <(steward completion bash); COMP_WORDS=(${words.map((word) => `'${word}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _steward_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
      expect((await run("bash", ["-c", script], { env: pluginEnv })).stdout).toBe("orders\n");
      // kubectl completes a plugin's words through kubectl_complete-steward on the PATH.
      const kubectlCompletion = await run(inject("kubectl"), ["__complete", "steward", "backups", "--kubeconfig", inject("kubeconfig"), "-n", test.namespace, "or"], { env: pluginEnv });
      expect(kubectlCompletion.stdout.split("\n")[0]).toBe("orders");
    } finally {
      rmSync(prefix, { recursive: true, force: true });
    }
  });

  it("version: the CLI's, and the operator's from its Deployment", async () => {
    await create({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "steward-operator", labels: { "app.kubernetes.io/name": "steward-operator", "app.kubernetes.io/version": "0.1.0" } },
      spec: { replicas: 0, selector: { matchLabels: { "app.kubernetes.io/name": "steward-operator" } }, template: { metadata: { labels: { "app.kubernetes.io/name": "steward-operator" } }, spec: { containers: [{ name: "operator", image: "ghcr.io/steward-dev/steward:0.1.0" }] } } },
    });
    const version = await steward("version");
    expect(version.code).toBe(0);
    expect(version.stdout).toContain("Client: 0.1.0\n");
    expect(version.stdout).toContain("Operator: 0.1.0 (Deployment NAMESPACE/steward-operator, image ghcr.io/steward-dev/steward:0.1.0, 0 ready)\n");
    const json = JSON.parse((await steward("version", "-o", "json")).stdout) as { operators: { namespace: string }[] };
    expect(json.operators.filter((operator) => operator.namespace === "NAMESPACE")).toHaveLength(1);
  });

  it("a mongodb cluster: backup follows the DatabaseBackup, status shows a gap, restores plan from its oplog archive", async () => {
    await create(
      { apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", metadata: { name: "catalogue" }, spec: { engine: "mongodb", version: "7.0", replicas: 3, backup: { storage: "s3", pointInTime: { enabled: true } } } },
      {
        phase: "Ready",
        currentPrimary: "catalogue-1",
        pointInTime: { earliest: "2026-11-24T03:00:05Z", latest: "2026-11-25T03:59:50Z", gaps: [{ from: "2026-11-24T20:00:00Z", to: "2026-11-25T03:59:50Z", reason: "the oplog of catalogue-1 rolled over before it was archived; no backup since: take one to recover later times" }] },
      },
    );
    await create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseBackup", metadata: { name: "catalogue-base", labels: { "steward.dev/cluster": "catalogue" } }, spec: { cluster: "catalogue" } }, { ...completed("24", 1_048_576), location: "s3://backups/shop/catalogue/backups/catalogue-base/data.ejson.zst" });
    const following = steward("backup", "catalogue", "--name", "catalogue-1");
    await waitFor("the CLI to create the backup", async () => (await test.client.get(RESOURCES.DatabaseBackup, test.namespace, "catalogue-1")) !== undefined, 10_000);
    const raw = (await test.client.get<KubeObject & { spec: { cluster: string } }>(RESOURCES.DatabaseBackup, test.namespace, "catalogue-1"))!;
    expect(raw.spec.cluster).toBe("catalogue");
    // Played operator: the backup Job's result.
    await test.client.replace({ ...raw, status: completed("25", 2_097_152) } as KubeObject, { subresource: "status" });
    const done = await following;
    expect(done.code).toBe(0);
    expect(done.stdout).toContain("catalogue-1");

    const status = await steward("status", "catalogue");
    expect(status.stdout).toMatch(/Gaps: +1 span cannot be recovered to\n +2026-11-24T20:00:00Z \.\. 2026-11-25T03:59:50Z: the oplog of catalogue-1 rolled over/);
    const plan = await steward("restore", "--cluster", "catalogue", "--time", "2026-11-24T10:30:00Z", "--to", "catalogue-copy", "--dry-run");
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("archived logs of catalogue from 2026-11-24T03:00:05Z to 2026-11-24T10:30:00Z");
    const inPlace = await steward("restore", "--backup", "catalogue-1", "--in-place", "--confirm", "--dry-run");
    expect(inPlace.stdout).toContain("cluster catalogue itself (in place)");
    expect((await steward("restore", "--cluster", "catalogue", "--time", "2026-11-25T05:00:00Z", "--to", "catalogue-copy")).stderr).toContain("refused before creating anything");
  });
});

async function runCompletion(words: string[]): Promise<string> {
  let stdout = "";
  const io: CliIo = { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: () => true }, env: {}, now: () => NOW, pollMs: 100 };
  await runCli(["completion", "__complete", "--kubeconfig", inject("kubeconfig"), "--", ...words], { io });
  return stdout;
}
