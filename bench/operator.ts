/**
 * Operator scale: the operator as its own process (started as the chart starts it: every
 * namespace, leader election, /metrics), on the real API server with 5,000 unrelated Secrets and
 * ConfigMaps in it, against 100 and then 1,000 DatabaseClusters; once with the no-op engine
 * (status and connection Secret only) and once with real objects (the Redis engine's Secrets,
 * ConfigMap, Services, StatefulSet and PDB, observed by the no-op engine). The control plane has
 * no node, so no engine process runs: StatefulSets make Pods that stay Pending.
 *
 * For each run it prints the operator's RSS and heap, the time from its start until every
 * cluster was reconciled once (status Ready at its generation, seen through a watch),
 * reconciles/s over that time, and over one idle minute after a settle: API requests as the
 * API server counts them (apiserver_request_total, less the same window with the operator
 * stopped: the controller-manager's own requests), the operator's own count beside it, and CPU
 * (% of one core, from /proc).
 *
 * The operator gets the chart's NODE_OPTIONS (STEWARD_BENCH_NODE_OPTIONS replaces them, "" for V8's defaults).
 *
 * `npm run bench -- operator [--modes=noop,objects] [--sizes=100,1000]`
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { startControlPlane } from "../local/controlplane/launcher.js";
import { committedCrds } from "../shared/api/generate-crds.js";
import { KubeClient, RESOURCES } from "../shared/k8s/client.js";

type Mode = "noop" | "objects";
type Results = Record<string, number | string>;

const UNRELATED = 5_000;
const SIZES = [100, 1_000];
const IDLE_SETTLE_MS = 20_000;
const IDLE_WINDOW_MS = 60_000;
/** The window with the operator stopped, whose requests are the rest of the control plane's. */
const BASELINE_WINDOW_MS = 30_000;
/** How long the bench waits for every cluster to be reconciled once. */
const FIRST_PASS_LIMIT_MS = 600_000;
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

const clusterViewSchema = z.looseObject({
  metadata: z.looseObject({ name: z.string(), generation: z.number().optional() }),
  status: z.looseObject({ phase: z.string().optional(), observedGeneration: z.number().optional() }).optional(),
});

/**
 * Resolves when `count` clusters of the namespace are Ready at their generation, read through
 * one watch (a LIST of a thousand clusters every second would load the API server the
 * operator is measured on). Rejects when `failed()` says so or after `limitMs`.
 */
async function allReconciled(client: KubeClient, namespace: string, count: number, failed: () => string | undefined, limitMs: number): Promise<void> {
  const reconciled = new Set<string>();
  const see = (raw: unknown, deleted = false) => {
    const cluster = clusterViewSchema.parse(raw);
    const done = !deleted && cluster.status?.phase === "Ready" && cluster.status.observedGeneration === cluster.metadata.generation;
    if (done) reconciled.add(cluster.metadata.name);
    else reconciled.delete(cluster.metadata.name);
  };
  const started = performance.now();
  while (reconciled.size < count) {
    const problem = failed();
    if (problem) throw new Error(problem);
    if (performance.now() - started > limitMs) throw new Error(`only ${reconciled.size}/${count} clusters reconciled after ${limitMs / 1000} s`);
    const list = await client.list(RESOURCES.DatabaseCluster, namespace);
    reconciled.clear();
    for (const item of list.items) see(item);
    const abort = new AbortController();
    const check = setInterval(() => {
      if (reconciled.size >= count || failed() || performance.now() - started > limitMs) abort.abort();
    }, 200);
    try {
      await client.watch(RESOURCES.DatabaseCluster, namespace, { resourceVersion: list.resourceVersion, signal: abort.signal, timeoutSeconds: 60 }, (event) => {
        if (event.type === "ADDED" || event.type === "MODIFIED" || event.type === "DELETED") see(event.object, event.type === "DELETED");
      });
    } catch {
      // A broken watch lists again.
    } finally {
      clearInterval(check);
    }
  }
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

/** The chart's NODE_OPTIONS (deploy/helm/steward/values.yaml), so the operator runs here as it runs there. */
function chartNodeOptions(): string {
  const values = parseYaml(readFileSync(join(import.meta.dirname, "..", "..", "deploy", "helm", "steward", "values.yaml"), "utf8")) as { nodeOptions?: string };
  return values.nodeOptions ?? "";
}

function startOperator(mode: Mode, kubeconfig: string, leaseNamespace: string, port: number): ChildProcess {
  const script = join(import.meta.dirname, "operator-process.js");
  const child = spawn(process.execPath, [script, mode, kubeconfig, leaseNamespace, String(port)], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, STEWARD_LOG_LEVEL: "warn", NODE_OPTIONS: process.env.STEWARD_BENCH_NODE_OPTIONS ?? chartNodeOptions() },
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

/** Requests the API server has answered since it started, every client together. */
async function apiserverRequests(client: KubeClient): Promise<number> {
  return metricSum(await client.getText("/metrics"), "apiserver_request_total");
}

async function measureRun(client: KubeClient, kubeconfig: string, mode: Mode, namespace: string, count: number): Promise<Results> {
  const prefix = `operator.${mode}.${count}`;
  const port = await freePort();
  const started = performance.now();
  const child = startOperator(mode, kubeconfig, namespace, port);
  let result: Results;
  let operatorWindow: { requests: number; windowS: number };
  try {
    try {
      await allReconciled(client, namespace, count, () => (child.exitCode !== null ? `the operator exited with ${child.exitCode}` : undefined), FIRST_PASS_LIMIT_MS);
    } catch (error) {
      // What the operator held and spent when the bench gave up says whether it or the API server was the limit.
      if (child.exitCode === null) {
        const text = await scrape(port);
        const partial = {
          [`${prefix}.at_limit_rss_mib`]: round(rssMiB(child.pid!)),
          [`${prefix}.at_limit_heap_used_mib`]: round(metricSum(text, "nodejs_heap_size_used_bytes") / 2 ** 20),
          [`${prefix}.at_limit_operator_cpu_s`]: round(cpuSeconds(child.pid!)),
          [`${prefix}.at_limit_reconciles`]: metricSum(text, "controller_runtime_reconcile_total", 'controller="databasecluster"'),
          [`${prefix}.at_limit_machine_load_1min`]: round(loadavg()[0]!),
        };
        for (const [key, value] of Object.entries(partial)) console.log(`${key.padEnd(64)} ${value}`);
      }
      throw error;
    }
    const firstPassS = (performance.now() - started) / 1000;
    const loadAtFirstPass = loadavg()[0]!;
    // Whether the operator itself was busy or waited (on the API server, on a loaded machine).
    const firstPassCpuS = cpuSeconds(child.pid!);
    const reconcilesAtFirstPass = metricSum(await scrape(port), "controller_runtime_reconcile_total", 'controller="databasecluster"');
    await sleep(IDLE_SETTLE_MS);
    const pid = child.pid!;
    const before = { own: metricSum(await scrape(port), "rest_client_requests_total"), server: await apiserverRequests(client), cpu: cpuSeconds(pid), at: performance.now() };
    await sleep(IDLE_WINDOW_MS);
    // Read before the operator's own scrape and this request, which the next read counts.
    const serverAfter = await apiserverRequests(client);
    const text = await scrape(port);
    const windowS = (performance.now() - before.at) / 1000;
    operatorWindow = { requests: serverAfter - before.server - 1, windowS };
    result = {
      [`${prefix}.first_reconcile_all_s`]: round(firstPassS),
      [`${prefix}.reconciles_per_s`]: round(reconcilesAtFirstPass / firstPassS),
      [`${prefix}.machine_load_1min_at_first_pass`]: round(loadAtFirstPass),
      [`${prefix}.operator_cpu_s_during_first_pass`]: round(firstPassCpuS),
      [`${prefix}.rss_mib_idle`]: round(rssMiB(pid)),
      [`${prefix}.heap_used_mib`]: round(metricSum(text, "nodejs_heap_size_used_bytes") / 2 ** 20),
      [`${prefix}.heap_total_mib`]: round(metricSum(text, "nodejs_heap_size_total_bytes") / 2 ** 20),
      // Where the heap's size goes: the young generation is sized by --max-semi-space-size.
      [`${prefix}.heap_new_space_mib`]: round(metricSum(text, "nodejs_heap_space_size_total_bytes", 'space="new"') / 2 ** 20),
      [`${prefix}.heap_old_space_mib`]: round(metricSum(text, "nodejs_heap_space_size_total_bytes", 'space="old"') / 2 ** 20),
      [`${prefix}.operator_own_requests_per_idle_min`]: round(((metricSum(text, "rest_client_requests_total") - before.own) * 60) / windowS),
      [`${prefix}.idle_cpu_pct_of_core`]: round(((cpuSeconds(pid) - before.cpu) / windowS) * 100),
    };
  } finally {
    await stopOperator(child);
  }
  // The same world without the operator: what the rest of the control plane asks in a window.
  const baseline = { server: await apiserverRequests(client), at: performance.now() };
  await sleep(BASELINE_WINDOW_MS);
  const baselineRequests = (await apiserverRequests(client)) - baseline.server - 1;
  const baselinePerMin = (baselineRequests * 60) / ((performance.now() - baseline.at) / 1000);
  const withOperatorPerMin = (operatorWindow.requests * 60) / operatorWindow.windowS;
  result[`${prefix}.apiserver_requests_per_idle_min`] = round(withOperatorPerMin);
  result[`${prefix}.apiserver_requests_per_idle_min_without_operator`] = round(baselinePerMin);
  result[`${prefix}.api_requests_per_idle_min`] = round(Math.max(0, withOperatorPerMin - baselinePerMin));
  for (const [key, value] of Object.entries(result)) console.log(`${key.padEnd(64)} ${value}`);
  return result;
}

/** One control plane per mode, so a mode starts from no clusters and none of another's objects. */
async function benchMode(mode: Mode, sizes: number[]): Promise<Results> {
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
    for (const size of sizes) {
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

/** `--modes=noop,objects` and `--sizes=100,1000` from the command line choose a part of the bench. */
function option(name: string): string[] | undefined {
  const arg = process.argv.find((candidate) => candidate.startsWith(`--${name}=`));
  return arg?.slice(name.length + 3).split(",").filter(Boolean);
}

export async function benchOperator(modes = (option("modes") ?? ["noop", "objects"]) as Mode[], sizes = option("sizes")?.map(Number) ?? SIZES): Promise<Results> {
  const results: Results = {};
  for (const mode of modes) {
    if (mode !== "noop" && mode !== "objects") throw new Error(`unknown mode ${String(mode)}: noop or objects`);
    try {
      Object.assign(results, await benchMode(mode, sizes));
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
