/**
 * Node loss on a three-node local cluster, per engine (MariaDB, Redis) and storage kind: a
 * 3-replica cluster (failover.delaySeconds 1, dataLoss none) under acknowledged writes through
 * the primary Service; the primary's node is stopped (`fault node NAME stop`: its pods'
 * processes killed, its heartbeats gone) with network storage and nodeLoss recreate, and with
 * node-local storage; then isolated (`isolate`: links and heartbeats cut, processes alive) with
 * network storage and nodeLoss wait. Measured from the fault:
 * - writes_resumed_s: the first acknowledged write after it (the engine's failover: detection,
 *   failover delay, promotion, labels, EndpointSlice, the Service proxy);
 * - node_marked_s: kube-controller-manager finds the node not Ready (node-monitor-grace-period,
 *   20 s in the launcher; 50 s is the upstream default);
 * - degraded_s: the cluster's Degraded message names the pod on the lost node;
 * - replaced_s: network storage with `failover.nodeLoss: recreate` only: the stuck pod
 *   force-deleted by the operator, recreated by the StatefulSet on a live node, its volume
 *   attached there, Running and Ready (node-local storage cannot move: "never");
 * - ready_after_start_s: from `start` (or `restore`) of the node to the cluster Ready again;
 * - lost: acknowledged writes missing afterwards.
 * Numbers, not assertions; the chaos report takes them over. `npm run bench -- node-loss`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startLocalCluster } from "../local/cluster.js";
import { RuntimeControl } from "../local/runtime/control-client.js";
import type { DatabaseCluster } from "../shared/api/index.js";
import { RESOURCES, type KubeClient, type KubeObject } from "../shared/k8s/client.js";
import { connectionOf, killPrimaryAndWait, readCluster, type AcknowledgedWriter, type Connection, type InProcessOperator } from "../test/e2e/cluster-fixtures.js";
import * as mysql from "../test/e2e/mysql-fixtures.js";
import * as redis from "../test/e2e/redis-fixtures.js";

const round = (value: number) => Math.round(value * 10) / 10;

interface EngineUnderTest {
  name: string;
  start(kubeconfig: string, namespace: string): Promise<InProcessOperator>;
  cluster(namespace: string, name: string, spec: Record<string, unknown>): KubeObject;
  waitForReady(client: KubeClient, namespace: string, name: string, replicas: number, timeoutMs: number): Promise<DatabaseCluster>;
  writer(connection: Connection): Promise<{ writer: AcknowledgedWriter; missing(ids: number[]): Promise<number[]> }>;
}

const ENGINES: EngineUnderTest[] = [
  {
    name: "mysql",
    start: mysql.startMysqlOperator,
    cluster: mysql.mariadbCluster,
    waitForReady: mysql.waitForReady,
    writer: async (connection) => {
      await mysql.createIdsTable(connection);
      return { writer: mysql.startWriter(connection), missing: (ids) => mysql.missingIds(connection, ids) };
    },
  },
  {
    name: "redis",
    start: redis.startRedisOperator,
    cluster: redis.redisCluster,
    waitForReady: redis.waitForReady,
    writer: async (connection) => ({ writer: redis.startWriter(connection), missing: (ids) => redis.missingIds(connection, ids) }),
  },
];

/** Storage kind, what the cluster asks for a pod on a lost node, and the fault (stop: a crash; isolate: a partition). */
const SCENARIOS = [
  { kind: "network", storageClassName: "steward-local", nodeLoss: "recreate", fault: "stop", back: "start" },
  { kind: "node-local", storageClassName: "steward-node-local", nodeLoss: "wait", fault: "stop", back: "start" },
  { kind: "network", storageClassName: "steward-local", nodeLoss: "wait", fault: "isolate", back: "restore" },
] as const;

interface PodLike extends KubeObject {
  spec?: { nodeName?: string };
  status?: { conditions?: { type: string; status: string }[] };
}

async function until(timeoutMs: number, check: () => Promise<boolean>): Promise<number | undefined> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check().catch(() => false)) return Date.now();
    await sleep(250);
  }
  return undefined;
}

async function scenario(kubeconfig: string, runtime: RuntimeControl, engine: EngineUnderTest, storage: (typeof SCENARIOS)[number]): Promise<Record<string, number | string>> {
  const prefix = `node-loss.${engine.name}.${storage.kind}.${storage.fault}`;
  const namespace = `bench-node-${engine.name}-${storage.kind}-${storage.fault}`;
  const name = "db";
  const operator = await engine.start(kubeconfig, namespace);
  const client = operator.client;
  try {
    await client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
    await sleep(1000);
    await client.apply(engine.cluster(namespace, name, { storage: { size: "1Gi", storageClassName: storage.storageClassName }, failover: { delaySeconds: 1, dataLoss: "none", nodeLoss: storage.nodeLoss } }));
    await engine.waitForReady(client, namespace, name, 3, 300_000);
    const connection = await connectionOf(client, namespace, name);
    const { writer, missing } = await engine.writer(connection);
    await sleep(1500);
    const primary = (await readCluster(client, namespace, name))!.status!.currentPrimary!;
    const before = (await client.get<PodLike>(RESOURCES.Pod, namespace, primary))!;
    const node = before.spec!.nodeName!;
    let stoppedAt = 0;
    const failover = await killPrimaryAndWait(client, namespace, name, writer, async () => {
      await runtime.setNode({ node, state: storage.fault });
      stoppedAt = Date.now();
    });
    const since = (at: number | undefined) => (at === undefined ? "n/a" : round((at - stoppedAt) / 1000));
    const nodeLost = async () => ((await client.get<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(RESOURCES.Node, undefined, node))?.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status !== "True");
    const degraded = async () => ((await readCluster(client, namespace, name))?.status?.conditions ?? []).some((c) => c.type === "Degraded" && c.status === "True" && c.message.includes(`${primary} is on node ${node}, which is lost`));
    const replaced = async () => {
      const pod = await client.get<PodLike>(RESOURCES.Pod, namespace, primary);
      return Boolean(pod && pod.metadata.uid !== before.metadata.uid && pod.spec?.nodeName !== node && pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
    };
    const [markedAt, degradedAt] = await Promise.all([until(90_000, nodeLost), until(90_000, degraded)]);
    const replacedAt = storage.nodeLoss === "recreate" ? await until(120_000, replaced) : undefined;
    await runtime.setNode({ node, state: storage.back });
    const startedAt = Date.now();
    await engine.waitForReady(client, namespace, name, 3, 300_000);
    const readyAfterStart = round((Date.now() - startedAt) / 1000);
    await sleep(500);
    await writer.stop();
    const ids = writer.acknowledged.map((entry) => entry.id);
    const lost = (await missing(ids)).length;
    const result: Record<string, number | string> = {
      [`${prefix}.writes_resumed_s`]: round(failover.failoverMs / 1000),
      [`${prefix}.node_marked_s`]: since(markedAt),
      [`${prefix}.degraded_s`]: since(degradedAt),
      [`${prefix}.replaced_s`]: storage.nodeLoss === "recreate" ? since(replacedAt) : storage.kind === "node-local" ? "never (node-local)" : "not asked (nodeLoss wait)",
      [`${prefix}.ready_after_start_s`]: readyAfterStart,
      [`${prefix}.acknowledged`]: ids.length,
      [`${prefix}.lost`]: lost,
    };
    console.log(
      `${engine.name}, ${storage.kind} storage, node ${storage.fault}: writes resumed after ${result[`${prefix}.writes_resumed_s`]} s (the engine's failover, not Kubernetes); node marked after ${result[`${prefix}.node_marked_s`]} s (grace period); Degraded after ${result[`${prefix}.degraded_s`]} s; replaced elsewhere: ${result[`${prefix}.replaced_s`]}; Ready ${readyAfterStart} s after ${storage.back}; ${lost}/${ids.length} acknowledged writes lost`,
    );
    return result;
  } finally {
    await operator.stop();
    await client.delete(RESOURCES.Namespace, undefined, namespace).catch(() => undefined);
  }
}

export async function benchNodeLoss(): Promise<Record<string, number | string>> {
  const stateDir = mkdtempSync(join(tmpdir(), "steward-bench-node-loss-"));
  const cluster = await startLocalCluster({ stateDir, nodes: 3, withS3: false, backoffBaseMs: 1000 });
  const runtime = new RuntimeControl(cluster.runtimeSocket!);
  const only = process.env.STEWARD_BENCH_NODE_LOSS_ENGINES?.split(",");
  const results: Record<string, number | string> = {};
  try {
    for (const engine of ENGINES.filter((e) => !only || only.includes(e.name))) {
      for (const storage of SCENARIOS) {
        try {
          Object.assign(results, await scenario(cluster.kubeconfig, runtime, engine, storage));
        } catch (error) {
          results[`node-loss.${engine.name}.${storage.kind}.${storage.fault}.failed`] = error instanceof Error ? error.message.slice(0, 300) : String(error);
          console.error(`${engine.name}/${storage.kind}/${storage.fault}: ${String(error)}`);
          for (const node of cluster.nodeNames) for (const state of ["start", "restore"] as const) await runtime.setNode({ node, state }).catch(() => undefined);
        }
      }
    }
    results["node-loss.dominant"] =
      "writes: the engine's failover (detection + failover.delaySeconds + promotion), not Kubernetes; Degraded words and replacement: the node-monitor grace period (20 s here); replacement adds scheduling, the volume attach and the engine's catch-up; node-local storage waits for the node";
    return results;
  } finally {
    await cluster.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
