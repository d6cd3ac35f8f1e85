import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { RESOURCES, type KubeObject } from "../../shared/k8s/client.js";
import { ownerReference } from "../../shared/k8s/owner.js";
import { RuntimeMetrics } from "../../shared/metrics.js";
import { Controller, NextLoop, type ControllerSpec, type ReconcileRequest, type ReconcileResult } from "../../shared/runtime/controller.js";
import { useTestNamespace, waitFor } from "./runtime-fixtures.js";

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
        await env.client.create(configMap("owner-config", "1", { ownerReferences: [ownerReference(owner)] }));
        await waitFor("a reconcile for the owned ConfigMap", async () => count() === 2, 5_000, 10);
        await env.client.mergePatch(RESOURCES.ConfigMap, env.namespace, "owner-config", { data: { v: "2" } });
        await waitFor("a reconcile for its change", async () => count() === 3, 5_000, 10);
        // Not owned by a DatabaseCluster: no wake-up.
        await env.client.create(configMap("unowned", "1"));
        await env.client.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "owner-credentials", namespace: env.namespace, labels: { "steward.dev/cluster": "owner" } }, data: {} });
        await waitFor("a reconcile for the labelled Secret", async () => count() === 4, 5_000, 10);
        await sleep(300);
      },
    );
    expect(requests).toEqual(Array.from({ length: 4 }, () => ({ namespace: env.namespace, name: "owner" })));
  });
});
