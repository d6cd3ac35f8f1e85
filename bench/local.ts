/**
 * The local cluster's own costs, as numbers: control-plane start (cold: fresh state dir; warm:
 * restart on the existing one), pod start latency created -> Ready for a trivial pod, the
 * user-space Service proxy against a direct connection (redis-benchmark PING: p50 latency with one
 * client, throughput with 50), and the runtime's resident memory with a few pods running.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CoreV1Api, KubeConfig, Watch, type V1Pod } from "@kubernetes/client-node";
import { startLocalCluster } from "../local/cluster.js";
import { startControlPlane } from "../local/controlplane/launcher.js";
import { waitFor } from "../local/processes.js";
import { RuntimeControl } from "../local/runtime/control-client.js";

const execFileAsync = promisify(execFile);
const seconds = (ms: number) => Math.round(ms / 10) / 100;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const isReady = (pod: V1Pod) => Boolean(pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));

/** Creates a trivial pod and resolves with the ms from the create call until a watch event shows it Ready. */
async function podStartLatency(config: KubeConfig, core: CoreV1Api, namespace: string, name: string): Promise<number> {
  let started = 0;
  let abort: AbortController | undefined;
  const ready = new Promise<number>((resolve, reject) => {
    void new Watch(config)
      .watch(`/api/v1/namespaces/${namespace}/pods`, { fieldSelector: `metadata.name=${name}` }, (_phase, pod: V1Pod) => {
        if (started && isReady(pod)) resolve(Date.now() - started);
      }, (error: unknown) => (error ? reject(error) : undefined))
      .then((controller) => (abort = controller));
  });
  await new Promise((resolve) => setTimeout(resolve, 100)); // the watch is open
  started = Date.now();
  await core.createNamespacedPod({ namespace, body: { metadata: { name }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: "main", image: "busybox", command: ["sleep", "3600"] }] } } });
  const latency = await ready;
  abort?.abort();
  return latency;
}

interface RedisBench {
  rps: number;
  p50: number;
}

async function redisBenchmark(host: string, clients: number, requests: number): Promise<RedisBench> {
  const { stdout } = await execFileAsync("timeout", ["60", "redis-benchmark", "-h", host, "-p", "6379", "-c", String(clients), "-n", String(requests), "-t", "ping", "--csv"]);
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",... ; the first row is PING_INLINE
  const row = stdout.trim().split("\n")[1]!.split(",").map((cell) => cell.replace(/"/g, ""));
  return { rps: Number(row[1]), p50: Number(row[4]) };
}

export async function benchLocal(): Promise<Record<string, number | string>> {
  const results: Record<string, number | string> = {};
  const report = (key: string, value: number | string, unit = "") => {
    results[`local.${key}`] = value;
    console.log(`${key}: ${value}${unit}`);
  };
  const stateDir = mkdtempSync(join(tmpdir(), "steward-bench-"));
  try {
    let t = Date.now();
    const cold = await startControlPlane({ stateDir, serviceCidr: "10.96.0.0/24" });
    report("controlPlaneColdStartSeconds", seconds(Date.now() - t), " s");
    await cold.stop();
    t = Date.now();
    const warm = await startControlPlane({ stateDir, serviceCidr: "10.96.0.0/24" });
    report("controlPlaneWarmStartSeconds", seconds(Date.now() - t), " s");
    await warm.stop();

    t = Date.now();
    const cluster = await startLocalCluster({ stateDir: join(stateDir, "cluster"), withS3: false });
    report("clusterStartSeconds", seconds(Date.now() - t), " s (fresh state, control plane + runtime, no S3)");
    try {
      const config = new KubeConfig();
      config.loadFromFile(cluster.kubeconfig);
      const core = config.makeApiClient(CoreV1Api);
      const namespace = "bench";
      await core.createNamespace({ body: { metadata: { name: namespace } } });
      await waitFor("service account", async () => Boolean(await core.readNamespacedServiceAccount({ name: "default", namespace })), 30_000);

      const latencies: number[] = [];
      for (let i = 0; i < 12; i++) latencies.push(await podStartLatency(config, core, namespace, `trivial-${i}`));
      report("podStartLatencyMedianMs", median(latencies), ` ms (created -> Ready, n=${latencies.length}, min ${Math.min(...latencies)}, max ${Math.max(...latencies)})`);

      await core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name: "redis", labels: { app: "redis" } },
          spec: { containers: [{ name: "redis", image: "redis:7", command: ["redis-server", "--save", "", "--protected-mode", "no"], readinessProbe: { tcpSocket: { port: 6379 }, periodSeconds: 1 } }] },
        },
      });
      await core.createNamespacedService({ namespace, body: { metadata: { name: "redis" }, spec: { selector: { app: "redis" }, ports: [{ port: 6379 }] } } });
      let podIP = "";
      await waitFor("redis Ready", async () => {
        const pod = await core.readNamespacedPod({ name: "redis", namespace });
        podIP = pod.status?.podIP ?? "";
        return isReady(pod);
      }, 60_000);
      const clusterIP = (await core.readNamespacedService({ name: "redis", namespace })).spec!.clusterIP!;
      await waitFor("the Service to proxy", async () => (await execFileAsync("timeout", ["2", "redis-cli", "-h", clusterIP, "ping"])).stdout.includes("PONG"), 30_000, 250);
      const directLatency = await redisBenchmark(podIP, 1, 20_000);
      const proxiedLatency = await redisBenchmark(clusterIP, 1, 20_000);
      const directThroughput = await redisBenchmark(podIP, 50, 200_000);
      const proxiedThroughput = await redisBenchmark(clusterIP, 50, 200_000);
      report("redisPingP50DirectMs", directLatency.p50, " ms (1 client, pod IP)");
      report("redisPingP50ClusterIPMs", proxiedLatency.p50, " ms (1 client, through the Service proxy)");
      report("redisPingRpsDirect", directThroughput.rps, " req/s (50 clients, pod IP)");
      report("redisPingRpsClusterIP", proxiedThroughput.rps, " req/s (50 clients, through the Service proxy)");

      const runtime = new RuntimeControl(cluster.runtimeSocket!);
      const status = await runtime.status();
      report("runtimeRssMiB", Math.round(status.rssBytes / 2 ** 20), ` MiB (runtime process with ${status.pods} pods; it also ran this bench)`);
    } finally {
      await cluster.stop();
    }
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
  return results;
}

if (process.argv[1]?.endsWith("bench/local.js") || process.argv[1]?.endsWith("bench/local.ts")) {
  const results = await benchLocal();
  console.log(JSON.stringify(results));
}
