import { describe, expect, it } from "vitest";
import { setCondition } from "../../shared/conditions.js";
import { EventRecorder } from "../../shared/events.js";
import { RESOURCES, type KubeObject } from "../../shared/k8s/client.js";
import { writeStatusIfChanged } from "../../shared/k8s/status.js";
import { ensureSecret, generatePassword, readSecret } from "../../shared/secrets.js";
import { useTestNamespace } from "./runtime-fixtures.js";

const env = useTestNamespace("runtime-status", { crds: true });

async function createCluster(name: string): Promise<KubeObject> {
  return env.client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", metadata: { name, namespace: env.namespace }, spec: { engine: "redis", replicas: 1 } });
}

describe("writeStatusIfChanged", () => {
  it("writes once for two identical statuses: the second call leaves the resourceVersion alone", async () => {
    const cluster = await createCluster("status-once");
    const conditions = setCondition(undefined, { type: "Ready", status: "False", reason: "Provisioning", message: "Creating the StatefulSet." }, 1);
    const status = { phase: "Provisioning", observedGeneration: 1, conditions, currentPrimary: undefined };

    expect(await writeStatusIfChanged(env.client, RESOURCES.DatabaseCluster, cluster, status)).toBe(true);
    const afterFirst = (await env.client.get(RESOURCES.DatabaseCluster, env.namespace, "status-once"))!;
    expect(afterFirst.status).toEqual({ phase: "Provisioning", observedGeneration: 1, conditions });

    // The same status with keys in another order.
    const reordered = { conditions, observedGeneration: 1, phase: "Provisioning" };
    expect(await writeStatusIfChanged(env.client, RESOURCES.DatabaseCluster, afterFirst, reordered)).toBe(false);
    const afterSecond = (await env.client.get(RESOURCES.DatabaseCluster, env.namespace, "status-once"))!;
    expect(afterSecond.metadata.resourceVersion).toBe(afterFirst.metadata.resourceVersion);
  });

  it("removes fields the new status no longer has", async () => {
    const cluster = await createCluster("status-remove");
    await writeStatusIfChanged(env.client, RESOURCES.DatabaseCluster, cluster, { phase: "Ready", currentPrimary: "status-remove-0", endpoints: { primary: "p:6379", readOnly: "r:6379" } });
    const written = (await env.client.get(RESOURCES.DatabaseCluster, env.namespace, "status-remove"))!;
    expect(await writeStatusIfChanged(env.client, RESOURCES.DatabaseCluster, written, { phase: "Degraded", endpoints: { primary: "p:6379" } })).toBe(true);
    const after = (await env.client.get(RESOURCES.DatabaseCluster, env.namespace, "status-remove"))!;
    expect(after.status).toEqual({ phase: "Degraded", endpoints: { primary: "p:6379" } });
  });

  it("re-reads and compares again when the object it was given is stale", async () => {
    const stale = await createCluster("status-stale");
    await writeStatusIfChanged(env.client, RESOURCES.DatabaseCluster, stale, { phase: "Ready" });
    // The stale copy has no status: the first patch conflicts, the re-read shows nothing to do.
    expect(await writeStatusIfChanged(env.client, RESOURCES.DatabaseCluster, stale, { phase: "Ready" })).toBe(false);
    // Someone else changed the status meanwhile: what this writer changed (phase) wins, what it
    // never touched (currentPrimary, absent from its copy too) stays the other writer's.
    await env.client.mergePatch(RESOURCES.DatabaseCluster, env.namespace, "status-stale", { status: { phase: "Failed", currentPrimary: "x" } }, { subresource: "status" });
    expect(await writeStatusIfChanged(env.client, RESOURCES.DatabaseCluster, stale, { phase: "Ready" })).toBe(true);
    expect((await env.client.get(RESOURCES.DatabaseCluster, env.namespace, "status-stale"))!.status).toEqual({ phase: "Ready", currentPrimary: "x" });
  });

  it("loses no update of another controller when its own copy was stale (the cluster controller against the backup policy)", async () => {
    const created = await createCluster("status-race");
    const provisioning = setCondition(undefined, { type: "Ready", status: "False", reason: "Provisioning", message: "1/1 starting" }, 1);
    await writeStatusIfChanged(env.client, RESOURCES.DatabaseCluster, created, { phase: "Provisioning", conditions: provisioning });
    // The cluster controller reads the cluster and computes its whole status from that copy...
    const copy = (await env.client.get(RESOURCES.DatabaseCluster, env.namespace, "status-race"))!;
    // ...while the backup policy records the next backup and a condition of its own.
    const storage = { type: "BackupStorageAvailable", status: "True", reason: "Reachable", message: "s3 answered", lastTransitionTime: "2026-12-06T05:00:00Z" };
    await env.client.mergePatch(RESOURCES.DatabaseCluster, env.namespace, "status-race", { status: { nextBackup: "2026-12-07T03:00:00Z", conditions: [...provisioning, storage] } }, { subresource: "status" });
    // The cluster controller writes its status (phase and Ready), computed from the stale copy.
    const ready = setCondition(provisioning, { type: "Ready", status: "True", reason: "AllInstancesReady", message: "1/1 instances are ready" }, 1);
    expect(await writeStatusIfChanged(env.client, RESOURCES.DatabaseCluster, copy, { ...(copy.status as Record<string, unknown>), phase: "Ready", conditions: ready })).toBe(true);
    const status = (await env.client.get(RESOURCES.DatabaseCluster, env.namespace, "status-race"))!.status as { phase: string; nextBackup?: string; conditions: { type: string; status: string }[] };
    expect(status.phase).toBe("Ready");
    expect(status.nextBackup).toBe("2026-12-07T03:00:00Z");
    expect(status.conditions.map((condition) => `${condition.type}=${condition.status}`).sort()).toEqual(["BackupStorageAvailable=True", "Ready=True"]);
  });
});

describe("EventRecorder", () => {
  it("folds repeats of one event into a single Event whose series counts them", async () => {
    const cluster = await createCluster("events");
    const recorder = new EventRecorder(env.client, "steward.dev/operator", "test-instance");
    for (let i = 0; i < 4; i++) await recorder.normal(cluster, "Provisioned", "Created StatefulSet events with 3 replicas", "Create");
    await recorder.warning(cluster, "BackupFailed", "Backup events-1 failed: PutObject returned HTTP 403");

    const { items } = await env.client.list(RESOURCES.Event, env.namespace);
    const about = items.filter((event) => (event.regarding as { uid?: string }).uid === cluster.metadata.uid);
    expect(about).toHaveLength(2);
    const provisioned = about.find((event) => event.reason === "Provisioned")!;
    expect(provisioned).toMatchObject({
      type: "Normal",
      action: "Create",
      note: "Created StatefulSet events with 3 replicas",
      reportingController: "steward.dev/operator",
      reportingInstance: "test-instance",
      regarding: { kind: "DatabaseCluster", name: "events", namespace: env.namespace },
    });
    expect((provisioned.series as { count: number }).count).toBe(4);
    const failed = about.find((event) => event.reason === "BackupFailed")!;
    expect(failed.type).toBe("Warning");
    expect(failed.series).toBeUndefined();
  });

  it("never throws: an Event the API server refuses is logged and dropped", async () => {
    const recorder = new EventRecorder(env.client, "steward.dev/operator");
    const ghost: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "ghost", namespace: "no-such-namespace-here" } };
    await expect(recorder.normal(ghost, "Created", "Created ghost")).resolves.toBeUndefined();
  });
});

describe("ensureSecret", () => {
  it("creates the Secret, never regenerates a value, and adds only missing keys", async () => {
    const owner = await createCluster("secret-owner");
    const first = await ensureSecret(env.client, {
      namespace: env.namespace,
      name: "secret-owner-credentials",
      owner,
      labels: { "steward.dev/cluster": "secret-owner" },
      generate: () => ({ password: generatePassword() }),
    });
    expect(first.password).toMatch(/^[A-Za-z0-9]{32}$/);

    const second = await ensureSecret(env.client, {
      namespace: env.namespace,
      name: "secret-owner-credentials",
      generate: () => ({ password: generatePassword(), replicationPassword: generatePassword() }),
    });
    expect(second.password).toBe(first.password);
    expect(second.replicationPassword).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(await readSecret(env.client, env.namespace, "secret-owner-credentials")).toEqual(second);

    const stored = (await env.client.get(RESOURCES.Secret, env.namespace, "secret-owner-credentials"))!;
    expect(stored.type).toBe("Opaque");
    expect(stored.metadata.labels).toEqual({ "steward.dev/cluster": "secret-owner" });
    expect(stored.metadata.ownerReferences?.[0]).toMatchObject({ kind: "DatabaseCluster", name: "secret-owner", uid: owner.metadata.uid, controller: true });
    expect(await readSecret(env.client, env.namespace, "absent")).toBeUndefined();
  });

  it("gives racing callers the same values", async () => {
    const results = await Promise.all(
      Array.from({ length: 4 }, () => ensureSecret(env.client, { namespace: env.namespace, name: "raced", generate: () => ({ password: generatePassword() }) })),
    );
    expect(new Set(results.map((result) => result.password)).size).toBe(1);
    expect((await readSecret(env.client, env.namespace, "raced"))!.password).toBe(results[0]!.password);
  });
});
