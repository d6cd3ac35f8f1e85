/**
 * The engine exporter sidecars' cost on the local cluster: a 3-node MariaDB and a 3-node Redis
 * cluster, each pod with its `metrics` sidecar (Debian's prometheus-mysqld-exporter and
 * prometheus-redis-exporter, the versions the production images are pinned to). Each exporter
 * is scraped every 5 s (six times Prometheus's 30 s in deploy/monitoring, to be on the heavy
 * side). Measured per exporter process from /proc: RSS (VmRSS, and the peak VmHWM) and CPU
 * (utime + stime over the window), first at idle, then under the failover bench's load: writes
 * through the primary Service with the primary's process killed once in the window.
 *
 * `npm run bench -- exporters`; STEWARD_BENCH_EXPORTER_WINDOW_S sets each window (default 40).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { startLocalCluster } from "../local/cluster.js";
import { RuntimeControl } from "../local/runtime/control-client.js";
import { IMAGE_BINARIES } from "../local/runtime/image-binaries.js";
import { RESOURCES, type KubeClient, type KubeObject } from "../shared/k8s/client.js";
import { mysqlEngine } from "../operators/mysql/engine.js";
import { redisEngine } from "../operators/redis/engine.js";
import { connectionOf, killPrimaryAndWait, startInProcessOperator, type AcknowledgedWriter } from "../test/e2e/cluster-fixtures.js";
import { createIdsTable, mariadbCluster, startWriter as startMysqlWriter, waitForReady as mysqlReady } from "../test/e2e/mysql-fixtures.js";
import { redisCluster, startWriter as startRedisWriter, waitForReady as redisReady } from "../test/e2e/redis-fixtures.js";

const TICKS_PER_SECOND = 100;
const round = (value: number) => Math.round(value * 10) / 10;

interface ProcessSample {
  rssKiB: number;
  hwmKiB: number;
  cpuTicks: number;
}

/** The exporter processes of `binary`, by the pod IP in their environment. */
function exporterProcesses(binary: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv0 = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0")[0];
      if (argv0 !== binary) continue;
      const ip = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0").find((variable) => variable.startsWith("POD_IP="))?.slice("POD_IP=".length);
      if (ip) found.set(ip, Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

function sampleProcess(pid: number): ProcessSample {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { rssKiB: kib("VmRSS"), hwmKiB: kib("VmHWM"), cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

async function podIps(client: KubeClient, namespace: string, cluster: string): Promise<string[]> {
  const pods = await client.list<KubeObject & { status?: { podIP?: string } }>(RESOURCES.Pod, namespace, { labelSelector: `steward.dev/cluster=${cluster}` });
  return pods.items.map((pod) => pod.status?.podIP).filter((ip): ip is string => !!ip);
}

interface WindowResult {
  rssMiB: number;
  peakRssMiB: number;
  cpuPercent: number;
}

/**
 * Scrapes every exporter of `ips` on `port` every 5 s for `seconds` while `during` runs, and
 * returns the exporters' largest RSS, peak RSS and CPU (mean over the processes, % of one core).
 * A process replaced in the window (its pod restarted) is measured from when it appeared.
 */
async function measure(binary: string, ips: string[], port: number, seconds: number, during: () => Promise<void> = async () => {}): Promise<WindowResult> {
  const start = new Map<number, { sample: ProcessSample; at: number }>();
  const last = new Map<number, ProcessSample & { at: number }>();
  const track = () => {
    for (const pid of exporterProcesses(binary).values()) {
      try {
        const sample = sampleProcess(pid);
        if (!start.has(pid)) start.set(pid, { sample, at: Date.now() });
        last.set(pid, { ...sample, at: Date.now() });
      } catch {
        // Gone.
      }
    }
  };
  track();
  const until = Date.now() + seconds * 1000;
  const scraping = (async () => {
    while (Date.now() < until) {
      await Promise.all(ips.map((ip) => fetch(`http://${ip}:${port}/metrics`, { signal: AbortSignal.timeout(4000) }).then((response) => response.text()).catch(() => "")));
      track();
      await sleep(5000);
    }
  })();
  await during();
  await scraping;
  track();
  const cpu = [...last.entries()].map(([pid, end]) => {
    const first = start.get(pid)!;
    const elapsed = (end.at - first.at) / 1000;
    return elapsed > 0 ? ((end.cpuTicks - first.sample.cpuTicks) / TICKS_PER_SECOND / elapsed) * 100 : 0;
  });
  return {
    rssMiB: round(Math.max(...[...last.values()].map((sample) => sample.rssKiB)) / 1024),
    peakRssMiB: round(Math.max(...[...last.values()].map((sample) => sample.hwmKiB)) / 1024),
    cpuPercent: round(cpu.reduce((sum, value) => sum + value, 0) / Math.max(1, cpu.length)),
  };
}

async function underFailover(client: KubeClient, runtime: RuntimeControl, namespace: string, name: string, writer: AcknowledgedWriter, windowS: number): Promise<void> {
  try {
    await sleep((windowS / 3) * 1000);
    const result = await killPrimaryAndWait(client, namespace, name, writer, (pod) => runtime.crashContainer({ namespace, pod, container: name === "db" ? "database" : "redis" }));
    console.log(`${name}: killed ${result.killed}, ${result.promoted} took over in ${round(result.failoverMs / 1000)} s`);
  } finally {
    await sleep((windowS / 3) * 1000);
    await writer.stop();
  }
}

export async function benchExporters(): Promise<Record<string, number | string>> {
  const windowS = Number(process.env.STEWARD_BENCH_EXPORTER_WINDOW_S ?? 40);
  const stateDir = mkdtempSync(join(tmpdir(), "steward-bench-exporters-"));
  const cluster = await startLocalCluster({ stateDir, withS3: false, backoffBaseMs: 100 });
  const namespace = "bench-exporters";
  const results: Record<string, number | string> = {};
  try {
    const operator = await startInProcessOperator(cluster.kubeconfig, namespace, { mysql: mysqlEngine(), redis: redisEngine() });
    const client = operator.client;
    await client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
    await sleep(1000);
    await client.apply(mariadbCluster(namespace, "db"));
    await client.apply(redisCluster(namespace, "cache"));
    await Promise.all([mysqlReady(client, namespace, "db", 3, 300_000), redisReady(client, namespace, "cache", 3, 300_000)]);
    const runtime = new RuntimeControl(cluster.runtimeSocket!);
    const mysqlBinary = IMAGE_BINARIES["/bin/mysqld_exporter"]!;
    const redisBinary = IMAGE_BINARIES["/redis_exporter"]!;

    const mysqlIdle = await measure(mysqlBinary, await podIps(client, namespace, "db"), 9104, windowS);
    const redisIdle = await measure(redisBinary, await podIps(client, namespace, "cache"), 9121, windowS);
    console.log(`idle: mysqld_exporter ${JSON.stringify(mysqlIdle)}, redis_exporter ${JSON.stringify(redisIdle)}`);

    const mysqlConnection = await connectionOf(client, namespace, "db");
    await createIdsTable(mysqlConnection);
    const mysqlLoad = await measure(mysqlBinary, await podIps(client, namespace, "db"), 9104, windowS, () => underFailover(client, runtime, namespace, "db", startMysqlWriter(mysqlConnection), windowS));
    const redisConnection = await connectionOf(client, namespace, "cache");
    const redisLoad = await measure(redisBinary, await podIps(client, namespace, "cache"), 9121, windowS, () => underFailover(client, runtime, namespace, "cache", startRedisWriter(redisConnection), windowS));
    console.log(`under writes and a failover: mysqld_exporter ${JSON.stringify(mysqlLoad)}, redis_exporter ${JSON.stringify(redisLoad)}`);

    for (const [prefix, idle, load] of [["exporters.mysqld", mysqlIdle, mysqlLoad], ["exporters.redis", redisIdle, redisLoad]] as const) {
      results[`${prefix}.idle_rss_mib`] = idle.rssMiB;
      results[`${prefix}.idle_cpu_percent`] = idle.cpuPercent;
      results[`${prefix}.load_rss_mib`] = load.rssMiB;
      results[`${prefix}.load_peak_rss_mib`] = load.peakRssMiB;
      results[`${prefix}.load_cpu_percent`] = load.cpuPercent;
    }
    await operator.stop();
    return results;
  } finally {
    await cluster.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await benchExporters();
  for (const [key, value] of Object.entries(results)) console.log(`${key}  ${value}`);
  process.exit(0);
}
