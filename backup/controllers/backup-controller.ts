import { LABELS, databaseBackup, databaseCluster, effectiveSpec, type DatabaseBackup, type DatabaseBackupStatus, type DatabaseCluster } from "../../shared/api/index.js";
import { RESOURCES, isAlreadyExists, type KubeClient, type KubeObject } from "../../shared/k8s/client.js";
import { setCondition } from "../../shared/conditions.js";
import { readSecret } from "../../shared/secrets.js";
import type { EventRecorder } from "../../shared/events.js";
import type { ControllerSpec, ReconcileContext, ReconcileRequest, ReconcileResult } from "../../shared/runtime/controller.js";
import { backupManifestKey, backupPrefix, completedStatusOf, s3Url } from "../manifest.js";
import { readBackupManifest } from "../pipeline.js";
import { deletePrefix } from "../s3/objects.js";
import { agentImage } from "../agent/image.js";
import type { BackupEngines } from "../engine-backup.js";
import { jobTargetFor } from "./engine-targets.js";
import { SCRATCH, backupJobLabels, buildAgentJob, buildAgentRbac, jobName } from "./jobs.js";
import { jobOutcome, type JobObject } from "./job-status.js";
import { patchStatus } from "./status-patch.js";
import { StorageProblem, getBackupStorage, openStorage } from "./storage-access.js";

export const BACKUP_FINALIZER = "steward.dev/backup-objects";

export interface BackupControllerOptions {
  client: KubeClient;
  events: EventRecorder;
  namespace?: string;
  /** Each engine's backup facet, from the registry. */
  engines: BackupEngines;
}

/**
 * DatabaseBackup: one backup, run once, as a Job of the agent. Deletion first (the finalizer
 * removes the objects in S3 when deletionPolicy is Delete); a terminal backup is never run
 * again; the Job's name comes from the backup's, so a restarted operator adopts the Job it
 * started instead of starting another. Completed only when the manifest is in S3.
 */
export function backupController(options: BackupControllerOptions): ControllerSpec {
  return {
    name: "databasebackup",
    for: RESOURCES.DatabaseBackup,
    owns: [RESOURCES.Job],
    namespace: options.namespace,
    reconcile: (request, context) => reconcileBackup(options, request, context),
  };
}

function failed(status: DatabaseBackupStatus, stepName: string, message: string, generation?: number): DatabaseBackupStatus {
  return {
    ...status,
    phase: "Failed",
    completedAt: status.completedAt ?? new Date().toISOString(),
    error: { step: stepName, message },
    conditions: setCondition(status.conditions, { type: "Completed", status: "False", reason: "Failed", message: `${stepName}: ${message}` }, generation),
  };
}

export async function reconcileBackup(options: BackupControllerOptions, request: ReconcileRequest, context: ReconcileContext): Promise<ReconcileResult> {
  const { client, events } = options;
  const raw = await client.get<KubeObject>(RESOURCES.DatabaseBackup, request.namespace, request.name);
  if (!raw) return;
  const backup = databaseBackup.parse(raw);
  const generation = backup.metadata.generation;

  if (backup.metadata.deletionTimestamp) return finalize(options, raw, backup, context);
  if (!backup.metadata.finalizers?.includes(BACKUP_FINALIZER) || backup.metadata.labels?.[LABELS.cluster] !== backup.spec.cluster) {
    // The finalizer removes the objects in S3 on deletion; the cluster label lets the policy
    // controller (schedule, retention) find every backup of the cluster, kubectl-made ones too.
    const finalizers = backup.metadata.finalizers?.includes(BACKUP_FINALIZER) ? backup.metadata.finalizers : [...(backup.metadata.finalizers ?? []), BACKUP_FINALIZER];
    await client.mergePatch(RESOURCES.DatabaseBackup, request.namespace, request.name, { metadata: { finalizers, labels: { [LABELS.cluster]: backup.spec.cluster }, resourceVersion: backup.metadata.resourceVersion } });
    return { requeueAfterMs: 1 };
  }

  const status: DatabaseBackupStatus = structuredClone(backup.status ?? {});
  const phase = status.phase;
  if (phase === "Completed" || phase === "Failed") return; // terminal: never run again (verification is the verify controller's)

  const clusterRaw = await client.get<KubeObject>(RESOURCES.DatabaseCluster, request.namespace, backup.spec.cluster);
  if (!clusterRaw) {
    await patchStatus(client, RESOURCES.DatabaseBackup, raw, failed(status, "prepare", `DatabaseCluster ${backup.spec.cluster} does not exist in namespace ${request.namespace}`, generation));
    await events.warning(raw, "BackupFailed", `Backup ${backup.metadata.name} failed: cluster ${backup.spec.cluster} does not exist`);
    return;
  }
  const cluster = databaseCluster.parse(clusterRaw);
  const storageName = backup.spec.storage ?? cluster.spec.backup?.storage;
  if (!storageName) {
    await patchStatus(client, RESOURCES.DatabaseBackup, raw, failed(status, "prepare", `no storage: set spec.storage on the backup or spec.backup.storage on cluster ${cluster.metadata.name}`, generation));
    return;
  }
  let storage;
  try {
    storage = await getBackupStorage(client, request.namespace, storageName);
  } catch (error) {
    if (!(error instanceof StorageProblem)) throw error;
    await patchStatus(client, RESOURCES.DatabaseBackup, raw, failed(status, "prepare", error.message, generation));
    await events.warning(raw, "BackupFailed", `Backup ${backup.metadata.name} failed: ${error.message}`);
    return;
  }

  const name = jobName(backup.metadata.name, "backup");
  const job = await client.get<JobObject>(RESOURCES.Job, request.namespace, name);
  if (!job) {
    if (phase === "Running") {
      // Our Job is gone while the backup ran (deleted by someone): never start a second one.
      await patchStatus(client, RESOURCES.DatabaseBackup, raw, failed(status, "job", `the backup Job ${name} disappeared while the backup ran`, generation));
      return;
    }
    // The Job mounts the storage's credentials Secret: without it its pod never starts and the
    // backup would stay Running for ever. Fail now, saying which Secret, so the next one can run.
    const secretName = storage.spec.s3.credentialsSecret.name;
    const credentials = await readSecret(client, request.namespace, secretName);
    if (!credentials?.accessKeyId || !credentials.secretAccessKey) {
      const message = `BackupStorage ${storageName}: Secret ${request.namespace}/${secretName} ${credentials ? "must hold the keys accessKeyId and secretAccessKey" : "does not exist"}; create it and back up again`;
      await patchStatus(client, RESOURCES.DatabaseBackup, raw, failed(status, "prepare", message, generation));
      await events.warning(raw, "BackupFailed", `Backup ${backup.metadata.name} failed: ${message}`);
      return;
    }
    for (const object of buildAgentRbac(request.namespace)) await client.apply(object);
    await createJob(client, buildBackupJob(options.engines, backup, raw, cluster, storage, name));
    await events.normal(raw, "BackupStarted", `Started backup ${backup.metadata.name} of cluster ${cluster.metadata.name} to ${storageName} (Job ${name})`);
    const spec = effectiveSpec(cluster);
    await patchStatus(client, RESOURCES.DatabaseBackup, raw, {
      ...status,
      phase: "Running",
      startedAt: status.startedAt ?? new Date().toISOString(),
      storage: storageName,
      job: name,
      engine: spec.engine,
      flavor: spec.flavor,
      conditions: setCondition(status.conditions, { type: "Completed", status: "False", reason: "Running", message: `Job ${name} is streaming the backup to S3` }, generation),
    });
    return { requeueAfterMs: 5_000 };
  }

  const outcome = jobOutcome(job);
  if (outcome.state === "running") {
    if (phase !== "Running") await patchStatus(client, RESOURCES.DatabaseBackup, raw, { ...status, phase: "Running", job: name, storage: storageName, startedAt: status.startedAt ?? new Date().toISOString() });
    return { requeueAfterMs: 10_000 };
  }
  if (outcome.state === "failed") {
    const fresh = databaseBackup.parse((await client.get<KubeObject>(RESOURCES.DatabaseBackup, request.namespace, request.name)) ?? raw);
    const reported = fresh.status?.error;
    const next = failed(fresh.status ?? status, reported?.step ?? "job", reported?.message ?? `the backup Job ${name} failed (${outcome.reason}); see its logs`, generation);
    await patchStatus(client, RESOURCES.DatabaseBackup, raw, next);
    await events.warning(raw, "BackupFailed", `Backup ${backup.metadata.name} failed at ${next.error!.step}: ${next.error!.message}`);
    return;
  }
  // Succeeded: Completed only with the manifest in S3 (the agent wrote it last).
  const access = await openStorage(client, storage);
  try {
    const clusterRef = { namespace: request.namespace, name: cluster.metadata.name };
    const manifest = await readBackupManifest(access, clusterRef, backup.metadata.name);
    if (!manifest) {
      await patchStatus(client, RESOURCES.DatabaseBackup, raw, failed(status, "manifest", `the Job ${name} succeeded but ${s3Url(access.target.bucket, backupManifestKey(access.target.prefix, clusterRef, backup.metadata.name))} does not exist`, generation));
      return;
    }
    const completed: DatabaseBackupStatus = {
      ...status,
      ...completedStatusOf(manifest, access.target.bucket, backupManifestKey(access.target.prefix, clusterRef, backup.metadata.name)),
      error: undefined,
      conditions: setCondition(status.conditions, { type: "Completed", status: "True", reason: "ManifestWritten", message: `Stored ${manifest.data.size} bytes with manifest; restore with: steward restore --backup ${backup.metadata.name}` }, generation),
    };
    await patchStatus(client, RESOURCES.DatabaseBackup, raw, completed);
    await events.normal(raw, "BackupCompleted", `Completed backup ${backup.metadata.name} of ${cluster.metadata.name}: ${manifest.data.size} bytes at ${completed.location} (${manifest.position.summary})`);
  } finally {
    access.client.destroy();
  }
  return;
}

function buildBackupJob(engines: BackupEngines, backup: DatabaseBackup, owner: KubeObject, cluster: DatabaseCluster, storage: Parameters<typeof buildAgentJob>[0]["storage"], name: string): KubeObject {
  const target = jobTargetFor(engines, cluster);
  const spec = effectiveSpec(cluster);
  const compression = backup.spec.compression ?? spec.backup?.compression ?? "zstd";
  return buildAgentJob({
    name,
    namespace: backup.metadata.namespace!,
    owner,
    labels: backupJobLabels(backup, cluster),
    image: agentImage(),
    args: ["backup", "--namespace", backup.metadata.namespace!, "--cluster", cluster.metadata.name, "--backup", backup.metadata.name, "--method", backup.spec.method ?? "logical", ...(backup.spec.incremental ? ["--incremental"] : []), "--compression", compression, ...target.args],
    env: target.env,
    agentCommand: target.agentCommand,
    storage,
    workDir: SCRATCH,
  });
}

async function createJob(client: KubeClient, job: KubeObject): Promise<void> {
  try {
    await client.create(job);
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
}

async function finalize(options: BackupControllerOptions, raw: KubeObject, backup: DatabaseBackup, context: ReconcileContext): Promise<ReconcileResult> {
  const { client, events } = options;
  if (!backup.metadata.finalizers?.includes(BACKUP_FINALIZER)) return;
  const namespace = backup.metadata.namespace!;
  if ((backup.spec.deletionPolicy ?? "Delete") === "Delete" && backup.status?.storage) {
    try {
      const storage = await getBackupStorage(client, namespace, backup.status.storage);
      const access = await openStorage(client, storage);
      try {
        const removed = await deletePrefix(access.client, access.target.bucket, backupPrefix(access.target.prefix, { namespace, name: backup.spec.cluster }, backup.metadata.name));
        await events.normal(raw, "BackupDeleted", `Deleted backup ${backup.metadata.name}: removed ${removed} objects from S3`);
      } finally {
        access.client.destroy();
      }
    } catch (error) {
      if (!(error instanceof StorageProblem)) throw error; // S3 errors: retry with backoff, keep the finalizer
      await events.warning(raw, "BackupObjectsLeft", `Deleted backup ${backup.metadata.name} without removing its objects: ${error.message}`);
      context.log.warn({ err: error.message }, "storage gone; leaving objects");
    }
  }
  const finalizers = (backup.metadata.finalizers ?? []).filter((finalizer) => finalizer !== BACKUP_FINALIZER);
  await client.mergePatch(RESOURCES.DatabaseBackup, namespace, backup.metadata.name, { metadata: { finalizers, resourceVersion: backup.metadata.resourceVersion } });
  return;
}
