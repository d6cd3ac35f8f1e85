/**
 * Engine-neutral helpers of the end-to-end files and benchmarks that run an engine on the local
 * cluster: the CRDs, an operator running chosen engines in this process, DatabaseCluster and
 * connection Secret reads, a writer that records every acknowledged id, killing the primary
 * under that load, and a watcher of what the primary Service selects. The engines' fixtures
 * (mysql-fixtures.ts, redis-fixtures.ts) add how to write and read their data.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { LABELS } from "../../shared/api/index.js";
import type { DatabaseCluster } from "../../shared/api/index.js";
import { committedCrds } from "../../shared/api/generate-crds.js";
import { RESOURCES, KubeClient, type KubeObject } from "../../shared/k8s/client.js";
import { readSecret } from "../../shared/secrets.js";
import type { Manager } from "../../shared/runtime/manager.js";
import type { ConnectionInfo, EngineRegistry } from "../../operators/engine.js";
import { createOperator } from "../../operators/operator.js";
import type { LocalS3 } from "../../local/s3/s3.js";

/**
 * Installs the committed CRDs the local cluster lacks, as raw JSON (client-node's typed
 * serializer would drop their x-kubernetes-* keys), and waits until they serve.
 */
export async function ensureCrds(client: KubeClient): Promise<void> {
  for (const crd of committedCrds()) {
    if (await client.get(RESOURCES.CustomResourceDefinition, undefined, crd.metadata.name)) continue;
    await client.apply(crd as KubeObject);
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

export interface InProcessOperator {
  client: KubeClient;
  stop(): Promise<void>;
}

/** The operator with only `engines`, reconciling one namespace, in this process (no leader election). */
export async function startInProcessOperator(kubeconfig: string, namespace: string, engines: EngineRegistry): Promise<InProcessOperator> {
  const client = KubeClient.fromKubeconfig(kubeconfig);
  await ensureCrds(client);
  const manager: Manager = createOperator({
    client,
    namespace,
    leaderElection: false,
    leaseNamespace: namespace,
    leaseName: "steward-operator",
    engines,
    handleSignals: false,
  });
  await manager.start();
  return { client, stop: () => manager.stop() };
}

/** A DatabaseCluster object to apply. */
export function databaseClusterObject(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", metadata: { name, namespace }, spec };
}

/** What the end-to-end clusters fail over with: quickly, and never losing an acknowledged write. */
export const FAST_FAILOVER = { delaySeconds: 1, dataLoss: "none" } as const;

export async function readCluster(client: KubeClient, namespace: string, name: string): Promise<DatabaseCluster | undefined> {
  return (await client.get(RESOURCES.DatabaseCluster, namespace, name)) as unknown as DatabaseCluster | undefined;
}

/**
 * Until `ready` says the cluster is as the test needs it; on time-out the error shows what
 * `describe` picks of the last state read.
 */
export async function waitForCluster(
  client: KubeClient,
  namespace: string,
  name: string,
  timeoutMs: number,
  ready: (cluster: DatabaseCluster) => boolean,
  describe: (cluster: DatabaseCluster | undefined) => string,
): Promise<DatabaseCluster> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await readCluster(client, namespace, name);
    if (last && ready(last)) return last;
    if (Date.now() > deadline) throw new Error(`${namespace}/${name} did not become Ready${describe(last)}`);
    await sleep(250);
  }
}

/** The connection Secret `<cluster>-conn` (operators/engine.ts): all an application is given. */
export type Connection = ConnectionInfo;

export async function connectionOf(client: KubeClient, namespace: string, name: string): Promise<Connection> {
  const values = await readSecret(client, namespace, `${name}-conn`);
  if (!values) throw new Error(`no connection Secret ${name}-conn`);
  return {
    host: values.host!,
    port: Number(values.port),
    username: values.username!,
    password: values.password!,
    uri: values.uri!,
    ...(values.database ? { database: values.database } : {}),
    ...(values.readOnlyHost ? { readOnlyHost: values.readOnlyHost } : {}),
    ...(values["ca.crt"] ? { ca: values["ca.crt"] } : {}),
  };
}

/** One connection of a writer: writes an id and says whether the engine acknowledged it. */
export interface WriterSession {
  write(id: number): Promise<boolean>;
  close(): void;
}

export type AcknowledgedWriter = ReturnType<typeof startAcknowledgedWriter>;

/**
 * Writes ids 1, 2, ... over and over through sessions from `open` (the primary Service),
 * opening a new one after any error; an id counts only when `write` said it was acknowledged.
 */
export function startAcknowledgedWriter(open: () => Promise<WriterSession>, retryDelayMs = 20) {
  const acknowledged: { id: number; at: number }[] = [];
  let stopped = false;
  let errors = 0;
  let next = 1;
  const loop = (async () => {
    let session: WriterSession | undefined;
    while (!stopped) {
      try {
        session ??= await open();
        const id = next++;
        if (await session.write(id)) acknowledged.push({ id, at: Date.now() });
      } catch {
        errors++;
        session?.close();
        session = undefined;
        await sleep(retryDelayMs);
      }
    }
    session?.close();
  })();
  return {
    acknowledged,
    errors: () => errors,
    /** The first acknowledgement after `since` (ms epoch). */
    firstAckAfter: (since: number) => acknowledged.find((entry) => entry.at > since)?.at,
    /** The longest gap between two acknowledgements within [from, to] (ms). */
    longestGap: (from: number, to: number) => {
      const times = acknowledged.map((entry) => entry.at).filter((at) => at >= from && at <= to);
      let gap = 0;
      for (let index = 1; index < times.length; index++) gap = Math.max(gap, times[index]! - times[index - 1]!);
      return gap;
    },
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/**
 * Kills the primary's engine process (`crash`) and waits until another instance is primary and
 * a write was acknowledged; the failover time is from the kill to that write.
 */
export async function killPrimaryAndWait(
  client: KubeClient,
  namespace: string,
  name: string,
  writer: AcknowledgedWriter,
  crash: (pod: string) => Promise<void>,
  timeoutMs = 60_000,
): Promise<{ killed: string; promoted: string; failoverMs: number }> {
  const before = (await readCluster(client, namespace, name))!.status!.currentPrimary!;
  // The clock starts once the runtime has SIGKILLed the process: writes acknowledged while the
  // request was on its way came from the old primary.
  await crash(before);
  const killedAt = Date.now();
  let after = before;
  const deadline = Date.now() + timeoutMs;
  while (after === before || !writer.firstAckAfter(killedAt)) {
    if (Date.now() > deadline) throw new Error(`no new primary with an acknowledged write ${timeoutMs / 1000} s after killing ${before}: ${JSON.stringify((await readCluster(client, namespace, name))?.status ?? {}).slice(0, 3000)}`);
    await sleep(50);
    after = (await readCluster(client, namespace, name))!.status!.currentPrimary!;
  }
  return { killed: before, promoted: after, failoverMs: writer.firstAckAfter(killedAt)! - killedAt };
}

/**
 * The node each of the cluster's StatefulSet pods (`<name>-<ordinal>`) was scheduled to, from
 * spec.nodeName: what the preferred anti-affinity of the engines' StatefulSets achieved.
 */
export async function podNodes(client: KubeClient, namespace: string, name: string): Promise<Record<string, string | undefined>> {
  const pods = await client.list<KubeObject & { spec?: { nodeName?: string } }>(RESOURCES.Pod, namespace, { labelSelector: `${LABELS.cluster}=${name}` });
  const ordinal = new RegExp(`^${name}-\\d+$`);
  return Object.fromEntries(pods.items.filter((pod) => ordinal.test(pod.metadata.name)).map((pod) => [pod.metadata.name, pod.spec?.nodeName]));
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

export interface KillRounds {
  /** Seconds from each kill to the first acknowledged write on the new primary. */
  seconds: number[];
  acknowledged: number;
  lost: number;
  errors: number;
  maxEndpoints: number;
  maxLabelled: number;
}

export interface KillRoundsOptions {
  rounds: number;
  /** Started by the caller; stopped here before the ids are read back. */
  writer: AcknowledgedWriter;
  crash: (pod: string) => Promise<void>;
  /** Until the cluster is whole again after a kill. */
  waitForReady: () => Promise<unknown>;
  /** Acknowledged ids that are not there, read through the primary Service. */
  missingIds: (ids: number[]) => Promise<number[]>;
  report: (line: string) => void;
}

/**
 * Under the writer's continuous acknowledged writes, kills the primary `rounds` times (waiting
 * for the cluster to be Ready again in between), then reads every acknowledged id back.
 */
export async function killPrimaryRounds(client: KubeClient, namespace: string, name: string, options: KillRoundsOptions): Promise<KillRounds> {
  const { writer } = options;
  const watcher = watchPrimaryService(client, namespace, name);
  const seconds: number[] = [];
  try {
    await sleep(1000);
    for (let round = 1; round <= options.rounds; round++) {
      const result = await killPrimaryAndWait(client, namespace, name, writer, options.crash);
      seconds.push(result.failoverMs / 1000);
      options.report(
        `kill ${String(round).padStart(2)}/${options.rounds}: ${result.killed} -> ${result.promoted}, first acknowledged write after ${(result.failoverMs / 1000).toFixed(2)} s (${writer.acknowledged.length} acknowledged so far)`,
      );
      await options.waitForReady();
      await sleep(500);
    }
  } finally {
    await writer.stop();
  }
  const seen = await watcher.stop();
  const ids = writer.acknowledged.map((entry) => entry.id);
  const lost = (await options.missingIds(ids)).length;
  options.report(`${ids.length} acknowledged writes (${writer.errors()} failed attempts), ${lost} lost; the primary Service listed at most ${seen.maxEndpoints} endpoint(s), ${seen.maxLabelled} pod(s) labelled primary`);
  return { seconds, acknowledged: ids.length, lost, errors: writer.errors(), ...seen };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * The local S3 as BackupStorage `name` in `namespace`, written as a user would: the credentials
 * in the Secret s3-creds, the in-cluster endpoint (agents run in pods), objects under `prefix`.
 */
export async function createLocalBackupStorage(client: KubeClient, namespace: string, s3: LocalS3, options: { name: string; prefix: string }): Promise<void> {
  await client.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "s3-creds", namespace }, stringData: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } } as KubeObject);
  await client.create({
    apiVersion: "steward.dev/v1alpha1",
    kind: "BackupStorage",
    metadata: { name: options.name, namespace },
    spec: { s3: { endpoint: s3.endpointInCluster, region: s3.region, bucket: s3.bucket, prefix: options.prefix, forcePathStyle: true, credentialsSecret: { name: "s3-creds" }, caBundle: s3.caBundle } },
  } as KubeObject);
}
