/**
 * Shared by the Redis end-to-end files and the Redis benchmark, on top of cluster-fixtures.ts:
 * an operator running the Redis engine in this process, a Redis cluster, Ready as the Redis
 * engine reports it, a writer that records WAIT-acknowledged ids through the primary Service,
 * and the primary killed under that load.
 */
import { Redis } from "ioredis";
import type { DatabaseCluster } from "../../shared/api/index.js";
import type { KubeClient, KubeObject } from "../../shared/k8s/client.js";
import { redisEngine } from "../../operators/redis/engine.js";
import type { RuntimeControl } from "../../local/runtime/control-client.js";
import { missingIdsIn } from "../fixtures/redis.js";
import {
  FAST_FAILOVER,
  connectionOf,
  databaseClusterObject,
  killPrimaryRounds,
  startAcknowledgedWriter,
  startInProcessOperator,
  waitForCluster,
  type Connection,
  type InProcessOperator,
  type KillRounds,
} from "./cluster-fixtures.js";

export type RedisOperator = InProcessOperator;

/** The operator (only the Redis engine), reconciling one namespace, in this process. */
export function startRedisOperator(kubeconfig: string, namespace: string): Promise<RedisOperator> {
  return startInProcessOperator(kubeconfig, namespace, { redis: redisEngine() });
}

export function redisCluster(namespace: string, name: string, spec: Record<string, unknown> = {}): KubeObject {
  return databaseClusterObject(namespace, name, { engine: "redis", version: "7.0", replicas: 3, storage: { size: "1Gi" }, failover: FAST_FAILOVER, ...spec });
}

/** Ready with every instance ready and every replica streaming. */
export function waitForReady(client: KubeClient, namespace: string, name: string, replicas: number, timeoutMs: number): Promise<DatabaseCluster> {
  const ready = ({ metadata, status }: DatabaseCluster) => {
    const replicating = status?.conditions?.find((condition) => condition.type === "Replicating")?.status === "True";
    // A status written before a pause (an in-place restore fences the cluster) says nothing about now.
    const paused = status?.conditions?.find((condition) => condition.type === "Paused")?.status === "True" || metadata.annotations?.["steward.dev/paused"] === "true";
    return Boolean(!paused && status?.phase === "Ready" && status.readyReplicas === replicas && replicating && status.currentPrimary);
  };
  return waitForCluster(client, namespace, name, timeoutMs, ready, (last) => ` with ${replicas} instances: annotations ${JSON.stringify(last?.metadata.annotations ?? {})}, status ${JSON.stringify(last?.status ?? {}).slice(0, 3000)}`);
}

/** A client of the connection Secret: over TLS verifying the server with its ca.crt when it has one. */
export function appClient(connection: Connection, host = connection.host): Redis {
  const redis = new Redis({
    host,
    port: connection.port,
    ...(connection.ca ? { tls: { ca: connection.ca, servername: host, rejectUnauthorized: true } } : {}),
    username: connection.username,
    password: connection.password,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    // A TLS handshake took over 500 ms on the loaded 2-core machines (load average 40+):
    // one-shot clients then failed with "Connection is closed".
    connectTimeout: connection.ca ? 2000 : 500,
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
  return startAcknowledgedWriter(async () => {
    const redis = appClient(connection);
    try {
      await redis.connect();
    } catch (error) {
      redis.disconnect();
      throw error;
    }
    return {
      write: async (id) => {
        await redis.set(`id:${id}`, String(id));
        return (await redis.wait(1, 500)) >= 1;
      },
      close: () => redis.disconnect(),
    };
  }, 25);
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
 * Under continuous WAIT-acknowledged writes, SIGKILLs the primary's redis-server `rounds` times
 * (waiting for the cluster to be Ready again in between), then reads every acknowledged id back.
 */
export async function runKillRounds(client: KubeClient, runtime: RuntimeControl, namespace: string, name: string, rounds: number, report: (line: string) => void): Promise<KillRounds> {
  const connection = await connectionOf(client, namespace, name);
  return killPrimaryRounds(client, namespace, name, {
    rounds,
    writer: startWriter(connection),
    crash: (pod) => runtime.crashContainer({ namespace, pod, container: "redis" }),
    waitForReady: () => waitForReady(client, namespace, name, 3, 120_000),
    missingIds: (ids) => missingIds(connection, ids),
    report,
  });
}
