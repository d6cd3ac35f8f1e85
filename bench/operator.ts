/**
 * Operator scale: 200 idle DatabaseClusters on the real API server, reconciled by the real
 * controller runtime with a bench-only engine that starts no pods. Prints how long the first
 * full reconcile of all of them took (throughput), and the operator's RSS once idle.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startControlPlane } from "../local/controlplane/launcher.js";
import { committedCrds } from "../shared/api/generate-crds.js";
import { KubeClient, RESOURCES } from "../shared/k8s/client.js";
import { createOperator } from "../operators/operator.js";
import { benchNoopEngine } from "./noop-engine.js";

export async function benchOperator(count = 200): Promise<Record<string, number | string>> {
  const stateDir = mkdtempSync(join(tmpdir(), "steward-bench-operator-"));
  const controlPlane = await startControlPlane({ stateDir, serviceCidr: "10.96.63.0/24" });
  try {
    const client = KubeClient.fromKubeconfig(controlPlane.kubeconfig);
    for (const crd of committedCrds()) await client.apply(crd);
    await sleep(2000); // the CRDs become served a moment after they are created
    const namespace = "bench";
    await client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
    const createStart = performance.now();
    for (let i = 0; i < count; i++) {
      await client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", metadata: { name: `idle-${i}`, namespace }, spec: { engine: "redis", replicas: 3 } });
    }
    const createMs = performance.now() - createStart;
    const rssBefore = process.memoryUsage().rss;
    const manager = createOperator({ client, namespace, leaderElection: false, leaseNamespace: namespace, leaseName: "bench", engines: { redis: benchNoopEngine } });
    const start = performance.now();
    await manager.start();
    let reconciled = 0;
    while (reconciled < count) {
      const list = await client.list<{ apiVersion: string; kind: string; metadata: { name: string }; status?: { phase?: string } }>(RESOURCES.DatabaseCluster, namespace);
      reconciled = list.items.filter((item) => item.status?.phase === "Ready").length;
      if (performance.now() - start > 300_000) throw new Error(`only ${reconciled}/${count} clusters reconciled after 300 s`);
      if (reconciled < count) await sleep(250);
    }
    const firstPassMs = performance.now() - start;
    await sleep(10_000);
    global.gc?.();
    const rssIdle = process.memoryUsage().rss;
    await manager.stop();
    const result = {
      "operator.clusters": count,
      "operator.create_clusters_s": round(createMs / 1000),
      "operator.first_reconcile_all_s": round(firstPassMs / 1000),
      "operator.reconciles_per_s": round(count / (firstPassMs / 1000)),
      "operator.rss_mib_before_start": round(rssBefore / 2 ** 20),
      "operator.rss_mib_idle_with_clusters": round(rssIdle / 2 ** 20),
    };
    return result;
  } finally {
    await controlPlane.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
