/**
 * Shared by the Redis end-to-end files and the Redis benchmark: an operator running the Redis
 * engine in this process, DatabaseCluster helpers, a writer that records WAIT-acknowledged ids
 * through the primary Service, and a watcher of what the primary Service selects.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { LABELS } from "../../shared/api/index.js";
import type { DatabaseCluster } from "../../shared/api/index.js";
import { RESOURCES, KubeClient, type KubeObject } from "../../shared/k8s/client.js";
import { readSecret } from "../../shared/secrets.js";
import { committedCrds } from "../../shared/api/generate-crds.js";
import { createOperator } from "../../operators/operator.js";
import { redisEngine } from "../../operators/redis/engine.js";
import type { Manager } from "../../shared/runtime/manager.js";
import type { RuntimeControl } from "../../local/runtime/control-client.js";
import { missingIdsIn } from "../fixtures/redis.js";

function withIntOrStringTypes(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withIntOrStringTypes);
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = withIntOrStringTypes(value);
  if (out["x-kubernetes-int-or-string"] === true && !out.anyOf) out.anyOf = [{ type: "integer" }, { type: "string" }];
  return out;
}

/**
 * Installs the committed CRDs the local cluster refused. Workaround, reported to the lead:
 * kube-apiserver 1.36 refuses `x-kubernetes-int-or-string` without `anyOf` integer/string
 * ("type: Required value"), so the DatabaseCluster CRD of crds/ is not installed.
 */
export async function ensureCrds(client: KubeClient): Promise<void> {
  for (const crd of committedCrds()) {
    if (await client.get(RESOURCES.CustomResourceDefinition, undefined, crd.metadata.name)) continue;
    await client.apply(withIntOrStringTypes(crd) as KubeObject);
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await client.list(RESOURCES.DatabaseCluster, "default");
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(250);
    }
  }
}

export interface RedisOperator {
  client: KubeClient;
  stop(): Promise<void>;
}

/** The operator (only the Redis engine), reconciling one namespace, in this process. */
export async function startRedisOperator(kubeconfig: string, namespace: string): Promise<RedisOperator> {
  const client = KubeClient.fromKubeconfig(kubeconfig);
  await ensureCrds(client);
  const manager: Manager = createOperator({
    client,
    namespace,
    leaderElection: false,
    leaseNamespace: namespace,
    leaseName: "steward-operator",
    engines: { redis: redisEngine() },
    handleSignals: false,
  });
  await manager.start();
  return { client, stop: () => manager.stop() };
}

export function redisCluster(namespace: string, name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: "steward.dev/v1alpha1",
    kind: "DatabaseCluster",
    metadata: { name, namespace },
    spec: { engine: "redis", version: "7.0", replicas: 3, storage: { size: "1Gi" }, failover: { delaySeconds: 1, dataLoss: "none" }, ...spec },
  };
}

export async function readCluster(client: KubeClient, namespace: string, name: string): Promise<DatabaseCluster | undefined> {
  return (await client.get(RESOURCES.DatabaseCluster, namespace, name)) as unknown as DatabaseCluster | undefined;
}

/** Ready with every instance ready and every replica streaming. */
export async function waitForReady(client: KubeClient, namespace: string, name: string, replicas: number, timeoutMs: number): Promise<DatabaseCluster> {
  const deadline = Date.now() + timeoutMs;
  let last: DatabaseCluster | undefined;
  for (;;) {
    last = await readCluster(client, namespace, name);
    const status = last?.status;
    const replicating = status?.conditions?.find((condition) => condition.type === "Replicating")?.status === "True";
    // A status written before a pause (an in-place restore fences the cluster) says nothing about now.
    const paused = status?.conditions?.find((condition) => condition.type === "Paused")?.status === "True" || last?.metadata.annotations?.["steward.dev/paused"] === "true";
    if (!paused && status?.phase === "Ready" && status.readyReplicas === replicas && replicating && status.currentPrimary) return last!;
    if (Date.now() > deadline) throw new Error(`${namespace}/${name} did not become Ready with ${replicas} instances: annotations ${JSON.stringify(last?.metadata.annotations ?? {})}, status ${JSON.stringify(status ?? {}).slice(0, 3000)}`);
    await sleep(250);
  }
}

export interface Connection {
  host: string;
  port: number;
  username: string;
  password: string;
  uri: string;
}

export async function connectionOf(client: KubeClient, namespace: string, name: string): Promise<Connection> {
  const values = await readSecret(client, namespace, `${name}-conn`);
  if (!values) throw new Error(`no connection Secret ${name}-conn`);
  return { host: values.host!, port: Number(values.port), username: values.username!, password: values.password!, uri: values.uri! };
}

export function appClient(connection: Connection, host = connection.host): Redis {
  const redis = new Redis({
    host,
    port: connection.port,
    username: connection.username,
    password: connection.password,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    connectTimeout: 500,
    commandTimeout: 1500,
  });
  redis.on("error", () => undefined);
  return redis;
}

/**
 * Writes `id:N` and `WAIT 1 500` over and over through the primary Service, reconnecting after
 * any error; an id counts as acknowledged only when WAIT reported a replica.
 */
export function startWriter(connection: Connection) {
  const acknowledged: { id: number; at: number }[] = [];
  let stopped = false;
  let errors = 0;
  let next = 0;
  const loop = (async () => {
    let redis: Redis | undefined;
    while (!stopped) {
      try {
        if (!redis) {
          redis = appClient(connection);
          await redis.connect();
        }
        const id = next++;
        await redis.set(`id:${id}`, String(id));
        if ((await redis.wait(1, 500)) >= 1) acknowledged.push({ id, at: Date.now() });
      } catch {
        errors++;
        redis?.disconnect();
        redis = undefined;
        await sleep(25);
      }
    }
    redis?.disconnect();
  })();
  return {
    acknowledged,
    errors: () => errors,
    /** The first acknowledgement after `since` (ms epoch). */
    firstAckAfter: (since: number) => acknowledged.find((entry) => entry.at > since)?.at,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/** Ids among `ids` whose value is not there (read through `host`, default the primary Service). */
export async function missingIds(connection: Connection, ids: number[], host?: string): Promise<number[]> {
  const redis = appClient(connection, host);
  await redis.connect();
  try {
    return await missingIdsIn(redis, ids);
  } finally {
    redis.disconnect();
  }
}

/**
 * SIGKILLs the primary's redis-server and waits until another instance is primary and a write
 * was acknowledged after the kill; returns who took over and the seconds from the kill.
 */
export async function killPrimaryAndWait(client: KubeClient, runtime: RuntimeControl, namespace: string, name: string, writer: ReturnType<typeof startWriter>, timeoutMs: number): Promise<{ before: string; after: string; seconds: number }> {
  const before = (await readCluster(client, namespace, name))!.status!.currentPrimary!;
  const killedAt = Date.now();
  await runtime.crashContainer({ namespace, pod: before, container: "redis" });
  // Writes acknowledged while the kill was on its way came from the old primary.
  const dead = Date.now();
  let after = before;
  while (after === before || !writer.firstAckAfter(dead)) {
    if (Date.now() - killedAt > timeoutMs) throw new Error(`no new primary with an acknowledged write ${timeoutMs / 1000} s after killing ${before}`);
    await sleep(50);
    after = (await readCluster(client, namespace, name))!.status!.currentPrimary!;
  }
  return { before, after, seconds: (writer.firstAckAfter(dead)! - killedAt) / 1000 };
}

/**
 * Watches what the primary Service selects, every 100 ms: the most ready endpoints its
 * EndpointSlices ever listed at once, and the most pods labelled primary at once.
 */
export function watchPrimaryService(client: KubeClient, namespace: string, name: string) {
  let maxEndpoints = 0;
  let maxLabelled = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const [slices, pods] = await Promise.all([
          client.list<KubeObject & { endpoints?: { conditions?: { ready?: boolean } }[] }>(RESOURCES.EndpointSlice, namespace, { labelSelector: `kubernetes.io/service-name=${name}-primary` }),
          client.list(RESOURCES.Pod, namespace, { labelSelector: `${LABELS.cluster}=${name},${LABELS.role}=primary` }),
        ]);
        const ready = slices.items.flatMap((slice) => slice.endpoints ?? []).filter((endpoint) => endpoint.conditions?.ready !== false).length;
        maxEndpoints = Math.max(maxEndpoints, ready);
        maxLabelled = Math.max(maxLabelled, pods.items.length);
      } catch {
        // The API server is busy; the next sample counts.
      }
      await sleep(100);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return { maxEndpoints, maxLabelled };
    },
  };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export interface KillRounds {
  /** Seconds from each kill to the first acknowledged write on the new primary. */
  seconds: number[];
  acknowledged: number;
  lost: number;
  errors: number;
  maxEndpoints: number;
  maxLabelled: number;
}

/**
 * Under continuous WAIT-acknowledged writes, SIGKILLs the primary `rounds` times (waiting for
 * the cluster to be Ready again in between), then reads every acknowledged id back.
 */
export async function runKillRounds(client: KubeClient, runtime: RuntimeControl, namespace: string, name: string, rounds: number, report: (line: string) => void): Promise<KillRounds> {
  const connection = await connectionOf(client, namespace, name);
  const writer = startWriter(connection);
  const watcher = watchPrimaryService(client, namespace, name);
  const seconds: number[] = [];
  try {
    await sleep(1000);
    for (let round = 1; round <= rounds; round++) {
      const result = await killPrimaryAndWait(client, runtime, namespace, name, writer, 60_000);
      seconds.push(result.seconds);
      report(`kill ${String(round).padStart(2)}: ${result.before} -> ${result.after}, first acknowledged write after ${result.seconds.toFixed(2)} s (${writer.acknowledged.length} acknowledged so far)`);
      await waitForReady(client, namespace, name, 3, 120_000);
      await sleep(500);
    }
  } finally {
    await writer.stop();
  }
  const seen = await watcher.stop();
  const ids = writer.acknowledged.map((entry) => entry.id);
  const lost = (await missingIds(connection, ids)).length;
  report(`${ids.length} acknowledged writes (${writer.errors()} failed attempts), ${lost} lost; the primary Service listed at most ${seen.maxEndpoints} endpoint(s), ${seen.maxLabelled} pod(s) labelled primary`);
  return { seconds, acknowledged: ids.length, lost, errors: writer.errors(), ...seen };
}
