/**
 * Operator scale: the operator as its own process (started as the chart starts it: every
 * namespace, leader election, /metrics), on the real API server with 5,000 unrelated Secrets and
 * ConfigMaps in it, against 100 and then 1,000 DatabaseClusters; once with the no-op engine
 * (status and connection Secret only) and once with real objects (the Redis engine's Secrets,
 * ConfigMap, Services, StatefulSet and PDB, observed by the no-op engine). The control plane has
 * no node, so no engine process runs: StatefulSets make Pods that stay Pending.
 *
 * For each run it prints the operator's RSS and heap, the time from its start until every
 * cluster was reconciled once (status Ready at its generation), reconciles/s over that time,
 * and over one idle minute after a settle: API requests (rest_client_requests_total from its
 * /metrics) and CPU (% of one core, from /proc).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startControlPlane } from "../local/controlplane/launcher.js";
import { committedCrds } from "../shared/api/generate-crds.js";
import { KubeClient, RESOURCES, type KubeObject } from "../shared/k8s/client.js";

type Mode = "noop" | "objects";
type Results = Record<string, number | string>;

const UNRELATED = 5_000;
const SIZES = [100, 1_000];
const IDLE_SETTLE_MS = 20_000;
const IDLE_WINDOW_MS = 60_000;
const CLK_TCK = 100;

/** Runs `count` calls of `task`, `width` at a time. */
async function inParallel(count: number, width: number, task: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < count) await task(next++);
  }));
}

async function createUnrelated(client: KubeClient): Promise<void> {
  const namespace = "unrelated";
  await client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
  const payload = "x".repeat(1024);
  await inParallel(UNRELATED, 16, (i) => {
    const metadata = { name: `unrelated-${i}`, namespace, labels: { app: "someone-else" } };
    return i % 2 === 0
      ? client.create({ apiVersion: "v1", kind: "Secret", metadata, data: { value: Buffer.from(payload).toString("base64") } })
      : client.create({ apiVersion: "v1", kind: "ConfigMap", metadata, data: { value: payload } });
  });
}

async function createClusters(client: KubeClient, namespace: string, from: number, to: number): Promise<void> {
  await inParallel(to - from, 16, (i) =>
    client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", metadata: { name: `db-${from + i}`, namespace }, spec: { engine: "redis", replicas: 3 } }),
  );
}

interface ClusterView extends KubeObject {
  status?: { phase?: string; observedGeneration?: number };
}

async function reconciledCount(client: KubeClient, namespace: string): Promise<number> {
  const { items } = await client.list<ClusterView>(RESOURCES.DatabaseCluster, namespace);
  return items.filter((item) => item.status?.phase === "Ready" && item.status.observedGeneration === item.metadata.generation).length;
}

/** Sums a metric's samples from Prometheus text, optionally only those whose labels contain `filter`. */
function metricSum(text: string, name: string, filter = ""): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name) || (line[name.length] !== "{" && line[name.length] !== " ") || !line.includes(filter)) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

/** A port no one listens on now (other benches may run on this machine at the same time). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function scrape(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  return response.text();
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((entry) => entry.startsWith("VmRSS:"))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

function startOperator(mode: Mode, kubeconfig: string, leaseNamespace: string, port: number): ChildProcess {
  const script = join(import.meta.dirname, "operator-process.js");
  const child = spawn(process.execPath, [script, mode, kubeconfig, leaseNamespace, String(port)], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, STEWARD_LOG_LEVEL: "warn" },
  });
  // Its warnings and errors, the first few only: a bench that fails should say why, not flood.
  let shown = 0;
  const show = (chunk: Buffer) => {
    if (shown++ < 20) process.stderr.write(chunk);
  };
  child.stdout?.on("data", show);
  child.stderr?.on("data", show);
  return child;
}

async function stopOperator(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

async function measureRun(client: KubeClient, kubeconfig: string, mode: Mode, namespace: string, count: number): Promise<Results> {
  const prefix = `operator.${mode}.${count}`;
  const port = await freePort();
  const started = performance.now();
  const child = startOperator(mode, kubeconfig, namespace, port);
  try {
    let reconciled = 0;
    while (reconciled < count) {
      await sleep(1000);
      if (child.exitCode !== null) throw new Error(`the operator exited with ${child.exitCode}`);
      reconciled = await reconciledCount(client, namespace);
      if (performance.now() - started > 600_000) throw new Error(`only ${reconciled}/${count} clusters reconciled after 600 s`);
    }
    const firstPassS = (performance.now() - started) / 1000;
    const reconcilesAtFirstPass = metricSum(await scrape(port), "controller_runtime_reconcile_total", 'controller="databasecluster"');
    await sleep(IDLE_SETTLE_MS);
    const pid = child.pid!;
    const before = { requests: metricSum(await scrape(port), "rest_client_requests_total"), cpu: cpuSeconds(pid), at: performance.now() };
    await sleep(IDLE_WINDOW_MS);
    const text = await scrape(port);
    const windowS = (performance.now() - before.at) / 1000;
    const requests = metricSum(text, "rest_client_requests_total") - before.requests;
    const result: Results = {
      [`${prefix}.first_reconcile_all_s`]: round(firstPassS),
      [`${prefix}.reconciles_per_s`]: round(reconcilesAtFirstPass / firstPassS),
      [`${prefix}.rss_mib_idle`]: round(rssMiB(pid)),
      [`${prefix}.heap_used_mib`]: round(metricSum(text, "nodejs_heap_size_used_bytes") / 2 ** 20),
      [`${prefix}.heap_total_mib`]: round(metricSum(text, "nodejs_heap_size_total_bytes") / 2 ** 20),
      [`${prefix}.api_requests_per_idle_min`]: round((requests * 60) / windowS),
      [`${prefix}.idle_cpu_pct_of_core`]: round(((cpuSeconds(pid) - before.cpu) / windowS) * 100),
    };
    for (const [key, value] of Object.entries(result)) console.log(`${key.padEnd(48)} ${value}`);
    return result;
  } finally {
    await stopOperator(child);
  }
}

/** One control plane per mode, so a mode starts from no clusters and none of another's objects. */
async function benchMode(mode: Mode): Promise<Results> {
  const stateDir = mkdtempSync(join(tmpdir(), "steward-bench-operator-"));
  const controlPlane = await startControlPlane({ stateDir, serviceCidr: "10.200.0.0/20" }); // 4,096 ClusterIPs: two Services per cluster at 1,000
  const results: Results = {};
  try {
    const client = KubeClient.fromKubeconfig(controlPlane.kubeconfig);
    for (const crd of committedCrds()) await client.apply(crd);
    await sleep(2000); // the CRDs become served a moment after they are created
    const unrelatedStart = performance.now();
    await createUnrelated(client);
    results["operator.unrelated_secrets_and_configmaps"] = UNRELATED;
    console.log(`${mode}: created ${UNRELATED} unrelated Secrets and ConfigMaps in ${round((performance.now() - unrelatedStart) / 1000)} s`);
    const namespace = `bench-${mode}`;
    await client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
    let created = 0;
    for (const size of SIZES) {
      await createClusters(client, namespace, created, size);
      created = size;
      Object.assign(results, await measureRun(client, controlPlane.kubeconfig, mode, namespace, size));
    }
    return results;
  } finally {
    await controlPlane.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

export async function benchOperator(modes: Mode[] = ["noop", "objects"]): Promise<Results> {
  const results: Results = {};
  for (const mode of modes) {
    try {
      Object.assign(results, await benchMode(mode));
    } catch (error) {
      // One mode failing still reports the other's numbers.
      results[`operator.${mode}.error`] = (error as Error).message;
      console.error(`operator ${mode} failed: ${(error as Error).message}`);
    }
  }
  return results;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
