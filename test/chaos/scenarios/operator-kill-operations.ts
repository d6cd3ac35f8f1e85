/**
 * The operator SIGKILLed at a random instant into the day-two operations (a successor starts at
 * once): a scale-out and the scale-in back, a rolling config change, an on-demand backup, a
 * restore into a new cluster, and retention removing backups. Checked per run, once the
 * successor converged: the cluster Ready with the asked-for instances and settings and no
 * unplanned promotion; exactly one DatabaseBackup per request, Completed, with one set of
 * objects in S3 (no duplicate, no orphan); the restore Completed (never stuck Running) and its
 * cluster Ready; retention left exactly keepLast backups and removed the others' objects. At the
 * end, no acknowledged write lost and never two pods accepting writes. Recovery: the operation's
 * start -> converged.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { createS3Client } from "../../../backup/s3/client.js";
import { databaseBackup, databaseRestore, type DatabaseBackup } from "../../../shared/api/index.js";
import { RESOURCES, type KubeObject } from "../../../shared/k8s/client.js";
import { createLocalBackupStorage } from "../../e2e/cluster-fixtures.js";
import type { ChaosEngine } from "../engines.js";
import { startDoublePrimarySampler } from "../sampler.js";
import { provisionCluster, type ChaosWorld, type ScenarioCluster } from "../world.js";
import { eventsSince, evidence, jobLogs, settle, waitUntil, type Scenario } from "./scenario.js";

const OPERATIONS = ["scale-out", "scale-in", "config", "backup", "restore", "retention"] as const;
type Operation = (typeof OPERATIONS)[number];

/** How long into each operation the kill may come: long enough to land in its middle. */
const KILL_WINDOW_MS: Record<Operation, number> = { "scale-out": 8_000, "scale-in": 5_000, config: 15_000, backup: 6_000, restore: 20_000, retention: 3_000 };

type ClusterObject = KubeObject & { metadata: { generation?: number }; status?: { phase?: string; observedGeneration?: number; readyReplicas?: number; instances?: { name: string; role?: string; ready?: boolean }[] } };

async function readClusterObject(world: ChaosWorld, namespace: string, name: string): Promise<ClusterObject | undefined> {
  return world.client.get<ClusterObject>(RESOURCES.DatabaseCluster, namespace, name);
}

/** Ready at its current generation with `replicas` instances, all ready. */
async function converged(world: ChaosWorld, namespace: string, name: string, replicas: number, timeoutMs: number): Promise<boolean> {
  const done = await waitUntil(async () => {
    const current = await readClusterObject(world, namespace, name);
    const status = current?.status;
    return status?.phase === "Ready" && status.observedGeneration === current?.metadata.generation && status.instances?.length === replicas && status.instances.every((instance) => instance.ready);
  }, timeoutMs, 1_000);
  return Boolean(done);
}

async function backups(world: ChaosWorld, namespace: string): Promise<DatabaseBackup[]> {
  return (await world.client.list(RESOURCES.DatabaseBackup, namespace)).items.map((item) => databaseBackup.parse(item));
}

/** Every object key under the storage's prefix (the scenario's namespace). */
async function objectKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/`, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((object) => object.Key!).filter(Boolean));
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

export function operatorKillOperations(engine: ChaosEngine): Scenario {
  return {
    name: `${engine.name}-operator-kill-operations`,
    description: `${engine.name}, 3 instances, backups to the local S3: the operator is SIGKILLed at a random instant into ${OPERATIONS.join(", ")} (in turn); a successor starts at once. Recovery: the operation's start -> converged.`,
    runs: 12,
    async run(world, recorder, runs) {
      const cluster = await provisionCluster(world, engine, `chaos-${engine.name}-ops`);
      const result = recorder.result;
      const s3Info = world.cluster.s3!;
      const s3 = createS3Client({ endpoint: s3Info.endpoint, region: s3Info.region, bucket: s3Info.bucket, prefix: "", forcePathStyle: true, accessKeyId: s3Info.accessKeyId, secretAccessKey: s3Info.secretAccessKey, caBundle: s3Info.caBundle });
      await createLocalBackupStorage(world.client, cluster.namespace, s3Info, { name: "chaos-s3", prefix: `${cluster.namespace}/` });
      await world.client.mergePatch(RESOURCES.DatabaseCluster, cluster.namespace, cluster.name, { spec: { backup: { storage: "chaos-s3" } } });
      const sampler = startDoublePrimarySampler(world.client, cluster.namespace, cluster.name, engine, cluster.connection);
      const writer = engine.writer(cluster.connection);
      const perOperation: Record<string, number[]> = {};
      let replicas = 3;
      try {
        for (let run = 1; run <= runs; run++) {
          const operation = OPERATIONS[(run - 1) % OPERATIONS.length]!;
          const ok = await converged(world, cluster.namespace, cluster.name, replicas, 240_000);
          if (!ok) recorder.fail(run, `${operation}: the cluster was not converged before the operation`, await evidence(world, cluster));
          // A restore needs a Completed backup and retention something to remove: made before the clock starts.
          if (operation === "restore" || operation === "retention") {
            const completed = (await backups(world, cluster.namespace)).filter((backup) => backup.status?.phase === "Completed").length;
            for (let extra = completed; extra < (operation === "restore" ? 1 : 2); extra++) {
              const made = await completedBackup(world, cluster, `base-${run}-${extra}`);
              if (!made) recorder.fail(run, `${operation}: no backup Completed to prepare it with`, await evidence(world, cluster));
            }
          }
          const startedAt = Date.now();
          const delay = Math.floor(Math.random() * KILL_WINDOW_MS[operation]);
          const kill = sleep(delay).then(() => cluster.replaceOperator());
          const outcome = await runOperation(world, cluster, operation, run, { replicas, s3, bucket: s3Info.bucket });
          await kill;
          result.runs++;
          result.kills++;
          replicas = outcome.replicas;
          const promotions = operation === "config" || operation === "scale-in" ? [] : await eventsSince(world, cluster.namespace, "FailedOver", startedAt);
          if (promotions.length > 0) recorder.fail(run, `${operation}, operator killed after ${delay} ms: ${promotions.length} unplanned promotion(s)`, promotions);
          const failed = await outcome.check();
          world.log(`${result.name} run ${run}: ${operation}, operator killed after ${delay} ms: ${failed ?? "converged"} after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
          if (failed) recorder.fail(run, `${operation}, operator killed after ${delay} ms: ${failed}`, await evidence(world, cluster));
          else (perOperation[operation] ??= []).push((Date.now() - startedAt) / 1000);
          if (!failed) result.recoverySeconds.push((Date.now() - startedAt) / 1000);
        }
      } finally {
        await settle(world, recorder, engine, cluster, writer, sampler);
        for (const [operation, seconds] of Object.entries(perOperation)) result.notes[`${operation}: seconds to converge`] = seconds.map((value) => value.toFixed(1)).join(", ");
        s3.destroy();
        await cluster.remove();
      }
    },
  };
}

/** A backup made with no fault around it; undefined unless it Completed within 300 s. */
async function completedBackup(world: ChaosWorld, cluster: ScenarioCluster, name: string): Promise<DatabaseBackup | undefined> {
  await world.client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseBackup", metadata: { name, namespace: cluster.namespace }, spec: { cluster: cluster.name } } as KubeObject);
  const ended = await waitUntil(async () => {
    const backup = (await backups(world, cluster.namespace)).find((candidate) => candidate.metadata.name === name);
    return backup?.status?.phase === "Completed" || backup?.status?.phase === "Failed" ? backup : undefined;
  }, 300_000, 1_000);
  return ended?.status?.phase === "Completed" ? ended : undefined;
}

interface OperationState {
  replicas: number;
  s3: S3Client;
  bucket: string;
}

/** Starts the operation; `check` waits for the successor to converge and says what is wrong, if anything. */
async function runOperation(world: ChaosWorld, cluster: ScenarioCluster, operation: Operation, run: number, state: OperationState): Promise<{ replicas: number; check(): Promise<string | undefined> }> {
  const { namespace, name } = cluster;
  const patch = (spec: Record<string, unknown>) => world.client.mergePatch(RESOURCES.DatabaseCluster, namespace, name, { spec });
  switch (operation) {
    case "scale-out":
    case "scale-in": {
      const replicas = operation === "scale-out" ? 4 : 3;
      await patch({ replicas });
      return { ...state, replicas, check: async () => ((await converged(world, namespace, name, replicas, 300_000)) ? undefined : `not Ready with ${replicas} ready instances within 300 s`) };
    }
    case "config": {
      const value = String(200 + run);
      await patch({ config: { max_connections: value } });
      return {
        ...state,
        async check() {
          // Rolled: every pod was created from the StatefulSet's newest revision (the operator restarts them one by one).
          const rolled = await waitUntil(async () => {
            if (!(await converged(world, namespace, name, state.replicas, 10_000))) return undefined;
            const set = await world.client.get<KubeObject & { status?: { updateRevision?: string } }>(RESOURCES.StatefulSet, namespace, name);
            const pods = (await world.client.list(RESOURCES.Pod, namespace)).items.filter((pod) => pod.metadata.name?.match(new RegExp(`^${name}-\\d+$`)));
            const revision = set?.status?.updateRevision;
            return revision && pods.length === state.replicas && pods.every((pod) => pod.metadata.labels?.["controller-revision-hash"] === revision) ? true : undefined;
          }, 300_000, 2_000);
          return rolled ? undefined : `the config change (max_connections ${value}) did not roll out to every pod within 300 s`;
        },
      };
    }
    case "backup": {
      const backupName = `kill-${run}`;
      await world.client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseBackup", metadata: { name: backupName, namespace }, spec: { cluster: name } } as KubeObject);
      return {
        ...state,
        async check() {
          const ended = await waitUntil(async () => {
            const backup = (await backups(world, namespace)).find((candidate) => candidate.metadata.name === backupName);
            return backup?.status?.phase === "Completed" || backup?.status?.phase === "Failed" ? backup : undefined;
          }, 300_000, 1_000);
          if (!ended) return `backup ${backupName} did not end within 300 s`;
          if (ended.status?.phase !== "Completed") return `backup ${backupName} ${ended.status?.phase} at ${ended.status?.error?.step ?? "?"}: ${ended.status?.error?.message ?? ""}\n${jobLogs(world, namespace, ended.status?.job ?? `${backupName}-backup`).join("\n")}`;
          // The request is the only DatabaseBackup since it (no schedule here): nothing doubled it.
          const since = Date.parse(String(ended.metadata.creationTimestamp ?? ""));
          const others = (await backups(world, namespace)).filter((backup) => backup.metadata.name !== backupName && Date.parse(String(backup.metadata.creationTimestamp ?? "")) >= since);
          if (others.length > 0) return `other DatabaseBackups appeared with ${backupName}: ${others.map((backup) => backup.metadata.name).join(", ")}`;
          // Objects live under <prefix>/<namespace>/<cluster>/backups/<backup>/ (backup/manifest.ts), the manifest written last.
          const manifest = (await objectKeys(state.s3, state.bucket, namespace)).filter((key) => key.endsWith(`/backups/${backupName}/manifest.json`));
          return manifest.length === 1 ? undefined : `backup ${backupName} Completed but its manifest is not in S3`;
        },
      };
    }
    case "restore": {
      const latest = (await backups(world, namespace)).filter((backup) => backup.status?.phase === "Completed").at(-1);
      if (!latest) return { ...state, check: async () => "no Completed backup to restore" };
      const restoreName = `restore-${run}`;
      await world.client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseRestore", metadata: { name: restoreName, namespace }, spec: { source: { backup: latest.metadata.name }, target: { newCluster: `${name}-r${run}` } } } as KubeObject);
      return {
        ...state,
        async check() {
          const ended = await waitUntil(async () => {
            const raw = await world.client.get(RESOURCES.DatabaseRestore, namespace, restoreName);
            const restore = raw ? databaseRestore.parse(raw) : undefined;
            return restore?.status?.phase === "Completed" || restore?.status?.phase === "Failed" ? restore : undefined;
          }, 480_000, 1_000);
          const target = `${name}-r${run}`;
          const ready = ended?.status?.phase === "Completed" && (await converged(world, namespace, target, 3, 300_000));
          // The restored cluster has served its purpose: it would only slow the runs after it.
          await world.client.delete(RESOURCES.DatabaseCluster, namespace, target).catch(() => undefined);
          if (!ended) return `restore ${restoreName} did not end within 480 s`;
          if (ended.status?.phase !== "Completed") return `restore ${restoreName} ${ended.status?.phase} at ${ended.status?.error?.step ?? "?"}: ${ended.status?.error?.message ?? ""}\n${jobLogs(world, namespace, ended.status?.job ?? `${restoreName}-restore`).join("\n")}`;
          return ready ? undefined : `restored cluster ${target} not Ready within 300 s`;
        },
      };
    }
    case "retention": {
      const keepLast = 1;
      const before = (await backups(world, namespace)).filter((backup) => backup.status?.phase === "Completed");
      await patch({ backup: { retention: { keepLast } } });
      return {
        ...state,
        async check() {
          const kept = await waitUntil(async () => {
            const completed = (await backups(world, namespace)).filter((backup) => backup.status?.phase === "Completed" && !backup.metadata.deletionTimestamp);
            return completed.length === keepLast ? completed : undefined;
          }, 180_000, 1_000);
          await patch({ backup: { retention: null } });
          if (!kept) return `retention (keepLast ${keepLast}) did not converge within 180 s (${before.length} Completed before)`;
          const newest = before.sort((a, b) => String(a.status?.completedAt).localeCompare(String(b.status?.completedAt))).at(-1)?.metadata.name;
          if (kept[0]?.metadata.name !== newest) return `retention kept ${kept[0]?.metadata.name}, not the newest ${newest}`;
          // The removed backups' objects go with them (deletionPolicy Delete): none left behind.
          const removed = before.filter((backup) => backup.metadata.name !== newest).map((backup) => backup.metadata.name);
          const left = await waitUntil(async () => {
            const keys = await objectKeys(state.s3, state.bucket, namespace);
            const orphans = keys.filter((key) => removed.some((backupName) => key.includes(`/backups/${backupName}/`)));
            return orphans.length === 0 ? "none" : undefined;
          }, 60_000, 2_000);
          return left ? undefined : `objects of removed backups ${removed.join(", ")} still in S3 after 60 s`;
        },
      };
    }
  }
}
