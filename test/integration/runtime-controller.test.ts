import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, inject, it } from "vitest";
import { RESOURCES, type KubeObject } from "../../shared/k8s/client.js";
import { ownerReference } from "../../shared/k8s/owner.js";
import { RuntimeMetrics } from "../../shared/metrics.js";
import { OWNED_LABELS } from "../../shared/api/names.js";
import { Controller, NextLoop, type ControllerSpec, type ReconcileRequest, type ReconcileResult } from "../../shared/runtime/controller.js";
import { InformerFactory } from "../../shared/runtime/informer-factory.js";
import { applyIfChanged } from "../../shared/k8s/apply.js";
import { databaseCluster, effectiveSpec } from "../../shared/api/index.js";
import { EventRecorder } from "../../shared/events.js";
import { rootLogger } from "../../shared/log.js";
import { ENGINE_PLUGINS } from "../../operators/engines.js";
import { pluginOf, type EngineContext } from "../../operators/engine.js";
import { clientFor, useTestNamespace, waitFor } from "./runtime-fixtures.js";

const env = useTestNamespace("runtime-controller", { crds: true });

interface Invocation {
  name: string;
  startedAt: number;
  endedAt?: number;
  seen?: string;
}

/** Runs a controller for the test's body and stops it after, whatever happens. */
async function running<T>(spec: Omit<ControllerSpec, "namespace">, metrics: RuntimeMetrics | undefined, body: (controller: Controller) => Promise<T>): Promise<T> {
  const controller = new Controller({ ...spec, namespace: env.namespace }, { client: env.client, metrics, baseDelayMs: 50, maxDelayMs: 5_000 });
  await controller.start();
  try {
    return await body(controller);
  } finally {
    await controller.stop(5_000);
  }
}

async function metricValue(metrics: RuntimeMetrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((candidate) => candidate.name === name);
  const value = metric?.values.find((entry) => Object.entries(labels).every(([key, expected]) => entry.labels[key] === expected));
  return value?.value ?? 0;
}

/**
 * Creates the ConfigMap `name` and runs a controller that reconciles only it, with `outcome`
 * deciding what attempt n (from 1) does, until `count` attempts were made and then `keepRunningMs`
 * more (to see that no further attempt comes). Returns the attempts' times.
 */
async function attemptsOn(
  name: string,
  metrics: RuntimeMetrics | undefined,
  count: number,
  outcome: (attempt: number) => Promise<ReconcileResult>,
  keepRunningMs = 0,
): Promise<number[]> {
  const attempts: number[] = [];
  await running(
    {
      name,
      for: RESOURCES.ConfigMap,
      async reconcile(request) {
        if (request.name !== name) return;
        attempts.push(Date.now());
        return outcome(attempts.length);
      },
    },
    metrics,
    async () => {
      await env.client.create(configMap(name, "0"));
      await waitFor(`${count} attempts`, async () => attempts.length >= count, 10_000, 10);
      await sleep(keepRunningMs);
    },
  );
  return attempts;
}

const configMap = (name: string, v: string, extra: Partial<KubeObject["metadata"]> = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: env.namespace, ...extra },
  data: { v },
});

describe("Controller", () => {
  it("reconciles a key once for a burst of changes, never twice at once, and sees the latest state", async () => {
    const invocations: Invocation[] = [];
    let active = 0;
    let maxActive = 0;
    let markBurstWritten!: () => void;
    const burstWritten = new Promise<void>((resolve) => (markBurstWritten = resolve));
    await running(
      {
        name: "burst",
        for: RESOURCES.ConfigMap,
        concurrency: 4,
        async reconcile(request) {
          if (request.name !== "burst") return;
          active++;
          maxActive = Math.max(maxActive, active);
          const invocation: Invocation = { name: request.name, startedAt: Date.now() };
          invocations.push(invocation);
          const current = await env.client.get(RESOURCES.ConfigMap, env.namespace, request.name);
          invocation.seen = (current?.data as Record<string, string> | undefined)?.v;
          // The first reconcile holds until the burst is written, however slow the machine is.
          if (invocations.length === 1) await burstWritten;
          await sleep(100);
          invocation.endedAt = Date.now();
          active--;
        },
      },
      undefined,
      async () => {
        await env.client.create(configMap("burst", "0"));
        await waitFor("the first reconcile", async () => invocations.length === 1, 5_000, 10);
        // Ten changes while the first reconcile runs: the key is queued again once, not ten times.
        for (let v = 1; v <= 10; v++) await env.client.mergePatch(RESOURCES.ConfigMap, env.namespace, "burst", { data: { v: String(v) } });
        // Let the informer deliver the last change before the first reconcile ends.
        await sleep(300);
        markBurstWritten();
        await waitFor("the follow-up reconcile to end", async () => invocations.length === 2 && invocations[1]!.endedAt !== undefined, 5_000, 10);
        await sleep(500);
      },
    );
    expect(invocations.map((invocation) => invocation.seen)).toEqual(["0", "10"]);
    expect(maxActive).toBe(1);
    expect(invocations[1]!.startedAt).toBeGreaterThanOrEqual(invocations[0]!.endedAt!);
  });

  it("retries a failing key with a growing backoff and counts the errors", async () => {
    const metrics = new RuntimeMetrics(undefined, { defaultMetrics: false });
    // Backoff 50, 100, 200, 400, 800 ms: six attempts within about 1.6 s.
    const attempts = await attemptsOn("failing", metrics, 6, async () => {
      throw new Error("the database did not answer");
    });
    const gaps = attempts.slice(1, 6).map((at, index) => at - attempts[index]!);
    for (const [index, gap] of gaps.entries()) expect(gap).toBeGreaterThanOrEqual(50 * 2 ** index - 5);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThan(gaps[i - 1]! * 1.4);
    expect(await metricValue(metrics, "controller_runtime_reconcile_errors_total", { controller: "failing" })).toBeGreaterThanOrEqual(6);
    expect(await metricValue(metrics, "controller_runtime_reconcile_total", { controller: "failing", result: "error" })).toBeGreaterThanOrEqual(6);
  });

  it("treats NextLoop as waiting: a steady retry, no error counted", async () => {
    const metrics = new RuntimeMetrics(undefined, { defaultMetrics: false });
    const attempts = await attemptsOn("waiting", metrics, 4, async (attempt) => {
      if (attempt < 4) throw new NextLoop("the StatefulSet has no ready pod yet", 200);
    }, 400);
    expect(attempts).toHaveLength(4);
    const gaps = attempts.slice(1).map((at, index) => at - attempts[index]!);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(195);
      expect(gap).toBeLessThan(600);
    }
    expect(await metricValue(metrics, "controller_runtime_reconcile_errors_total", { controller: "waiting" })).toBe(0);
    expect(await metricValue(metrics, "controller_runtime_reconcile_total", { controller: "waiting", result: "requeue_after" })).toBe(3);
  });

  it("comes back after requeueAfterMs", async () => {
    const attempts = await attemptsOn("polling", undefined, 3, async (attempt) => (attempt < 3 ? { requeueAfterMs: 300 } : undefined));
    expect(attempts[2]! - attempts[1]!).toBeGreaterThanOrEqual(295);
  });

  it("wakes the owner when an owned object changes, and maps watched objects to requests", async () => {
    const owner = await env.client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", metadata: { name: "owner", namespace: env.namespace }, spec: { engine: "redis", replicas: 1 } });
    const requests: ReconcileRequest[] = [];
    const count = () => requests.filter((request) => request.name === "owner").length;
    await running(
      {
        name: "owning",
        for: RESOURCES.DatabaseCluster,
        owns: [RESOURCES.ConfigMap],
        watches: [{ type: RESOURCES.Secret, labelSelector: "steward.dev/cluster", mapToRequests: (object) => [{ namespace: object.metadata.namespace!, name: object.metadata.labels!["steward.dev/cluster"]! }] }],
        async reconcile(request) {
          requests.push(request);
        },
      },
      undefined,
      async () => {
        await waitFor("the initial reconcile", async () => count() === 1, 5_000, 10);
        await env.client.create(configMap("owner-config", "1", { ownerReferences: [ownerReference(owner)], labels: { ...OWNED_LABELS } }));
        await waitFor("a reconcile for the owned ConfigMap", async () => count() === 2, 5_000, 10);
        await env.client.mergePatch(RESOURCES.ConfigMap, env.namespace, "owner-config", { data: { v: "2" } });
        await waitFor("a reconcile for its change", async () => count() === 3, 5_000, 10);
        // Not owned by a DatabaseCluster: no wake-up.
        await env.client.create(configMap("unowned", "1", { labels: { ...OWNED_LABELS } }));
        // Owned, but without Steward's label (a user's object, or one from before the label): not watched at all.
        await env.client.create(configMap("owner-unlabelled", "1", { ownerReferences: [ownerReference(owner)] }));
        await env.client.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "owner-credentials", namespace: env.namespace, labels: { "steward.dev/cluster": "owner" } }, data: {} });
        await waitFor("a reconcile for the labelled Secret", async () => count() === 4, 5_000, 10);
        await sleep(300);
      },
    );
    expect(requests).toEqual(Array.from({ length: 4 }, () => ({ namespace: env.namespace, name: "owner" })));
  });
});

describe("shared informers, the owned-objects selector, and applying only what changed", () => {
  const OWNED_KINDS = [RESOURCES.StatefulSet, RESOURCES.Service, RESOURCES.Secret, RESOURCES.ConfigMap, RESOURCES.PodDisruptionBudget];

  /** Two controllers on one factory, as the Manager runs the cluster and backup-policy controllers. */
  async function sharedControllers<T>(body: (factory: InformerFactory, client: ReturnType<typeof clientFor>) => Promise<T>): Promise<T> {
    // A client of its own, so its request counts are this test's alone.
    const client = clientFor(inject("kubeconfig"));
    const factory = new InformerFactory(client);
    const quiet = async () => undefined;
    const controllers = [
      new Controller({ name: "clusters", for: RESOURCES.DatabaseCluster, owns: OWNED_KINDS, namespace: env.namespace, reconcile: quiet }, { client, informers: factory }),
      new Controller({ name: "policy", for: RESOURCES.DatabaseCluster, watches: [{ type: RESOURCES.DatabaseCluster, mapToRequests: () => [] }], namespace: env.namespace, reconcile: quiet }, { client, informers: factory }),
    ];
    await Promise.all(controllers.map((controller) => controller.start()));
    try {
      return await body(factory, client);
    } finally {
      await Promise.all(controllers.map((controller) => controller.stop(5_000)));
      factory.stop();
      await client.close();
    }
  }

  it("lists and watches each kind once for all controllers, and caches Steward's Secrets but not a user's", async () => {
    await env.client.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "users-own", namespace: env.namespace }, data: { k: "dg==" } });
    await env.client.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "stewards-own", namespace: env.namespace, labels: { ...OWNED_LABELS } }, data: { k: "dg==" } });
    await sharedControllers(async (factory, client) => {
      // DatabaseCluster once (primary of both, and the watch), plus the five owned kinds.
      expect(factory.size).toBe(1 + OWNED_KINDS.length);
      expect(client.requestCounts().get("LIST")).toBe(1 + OWNED_KINDS.length);
      expect(factory.cached(RESOURCES.Secret, env.namespace, "stewards-own")).toBeDefined();
      expect(factory.cached(RESOURCES.Secret, env.namespace, "users-own")).toBeUndefined();
      // A user's Secret that changes later is not seen either; a labelled one is.
      await env.client.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "users-later", namespace: env.namespace }, data: {} });
      await env.client.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "stewards-later", namespace: env.namespace, labels: { ...OWNED_LABELS } }, data: {} });
      await waitFor("the labelled Secret in the cache", async () => factory.cached(RESOURCES.Secret, env.namespace, "stewards-later") !== undefined, 5_000, 10);
      expect(factory.cached(RESOURCES.Secret, env.namespace, "users-later")).toBeUndefined();
    });
  });

  it("applies a real engine's objects once, writes nothing while they are unchanged, and repairs drift", async () => {
    const raw = await env.client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", metadata: { name: "applied", namespace: env.namespace }, spec: { engine: "redis", replicas: 2 } });
    const cluster = databaseCluster.parse(raw);
    const engine = await pluginOf(ENGINE_PLUGINS, "redis").loadCluster();
    await sharedControllers(async (factory, client) => {
      const context: EngineContext = { client, events: new EventRecorder(client, "test"), log: rootLogger, signal: new AbortController().signal, cluster, spec: effectiveSpec(cluster), now: () => new Date() };
      const prepared = await engine.prepare(context);
      const desired = engine.desiredObjects(context, prepared);
      expect(desired.map((object) => object.kind)).toEqual(expect.arrayContaining(["StatefulSet", "Service", "ConfigMap"]));
      const applies = () => client.requestCounts().get("APPLY") ?? 0;
      const pass = async () => {
        const before = applies();
        for (const object of desired) await applyIfChanged(client, factory, object);
        return applies() - before;
      };
      expect(await pass()).toBe(desired.length);
      const inCache = async () => desired.every((object) => factory.cached(RESOURCES[object.kind as keyof typeof RESOURCES], env.namespace, object.metadata.name)?.metadata.annotations?.["steward.dev/applied-hash"]);
      await waitFor("the applied objects in the cache", inCache, 5_000, 10);
      // Unchanged: not one write, StatefulSet quantities and Service defaults included.
      expect(await pass()).toBe(0);
      expect(await pass()).toBe(0);
      for (const object of desired) expect((await env.client.get(RESOURCES[object.kind as keyof typeof RESOURCES], env.namespace, object.metadata.name))?.metadata.labels).toMatchObject(OWNED_LABELS);

      // Someone edits a field Steward states: the next pass applies that one object and restores it.
      const configMapName = desired.find((object) => object.kind === "ConfigMap")!.metadata.name;
      const edited = await env.client.mergePatch(RESOURCES.ConfigMap, env.namespace, configMapName, { data: Object.fromEntries(Object.keys((desired.find((object) => object.kind === "ConfigMap")!.data as Record<string, string>)).map((key) => [key, "edited by hand"])) });
      await waitFor("the edit in the cache", async () => factory.cached(RESOURCES.ConfigMap, env.namespace, configMapName)?.metadata.resourceVersion === edited.metadata.resourceVersion, 5_000, 10);
      expect(await pass()).toBe(1);
      const restored = await env.client.get<KubeObject & { data: Record<string, string> }>(RESOURCES.ConfigMap, env.namespace, configMapName);
      expect(restored?.data).toEqual(desired.find((object) => object.kind === "ConfigMap")!.data);
    });
  });
});
