import { ANNOTATIONS, LABELS, databaseBackup, databaseCluster, databaseRestore, effectiveSpec, type DatabaseCluster, type DatabaseRestore, type DatabaseRestoreStatus } from "../../shared/api/index.js";
import { RESOURCES, isAlreadyExists, type KubeClient, type KubeObject } from "../../shared/k8s/client.js";
import { setCondition } from "../../shared/conditions.js";
import type { EventRecorder } from "../../shared/events.js";
import type { DatabaseMetrics } from "../../shared/database-metrics.js";
import type { ControllerSpec, ReconcileContext, ReconcileRequest, ReconcileResult } from "../../shared/runtime/controller.js";
import { agentImage } from "../agent/image.js";
import { pointInTimeRefusal, windowFromStatus, type BackupFacts } from "../planning/restore-preview.js";
import type { BackupEngines } from "../engine-backup.js";
import { jobTargetFor, primaryHostFor } from "./engine-targets.js";
import { buildAgentJob, buildAgentRbac, jobName, restoreJobLabels } from "./jobs.js";
import { jobOutcome, type JobObject } from "./job-status.js";
import { patchStatus } from "./status-patch.js";
import { getBackupStorage } from "./storage-access.js";

export interface RestoreControllerOptions {
  client: KubeClient;
  events: EventRecorder;
  namespace?: string;
  /** Each engine's backup facet, from the registry. */
  engines: BackupEngines;
  /** Per-database metrics: the newest finished restore into each cluster. */
  metrics?: DatabaseMetrics;
}

/**
 * DatabaseRestore. Into a new cluster (default): a DatabaseCluster with spec.bootstrap, whose
 * first pod loads the data before it serves; when it is Ready, a Job records per-table
 * checksums. In place (explicit confirmOverwrite): the cluster is fenced (reconciling paused,
 * the primary taken out of its Service, so clients cannot write), a Job replaces its data on
 * the primary (replicas follow through replication), and it is reopened; Events at each step.
 * Every step is read back from the world (annotations, Jobs, the cluster's phase), so an
 * operator killed at any line resumes where it was.
 */
export function restoreController(options: RestoreControllerOptions): ControllerSpec {
  const byRestore = (object: KubeObject) => {
    const name = object.metadata.labels?.[LABELS.restore];
    return name && object.metadata.namespace ? [{ namespace: object.metadata.namespace, name }] : [];
  };
  return {
    name: "databaserestore",
    for: RESOURCES.DatabaseRestore,
    owns: [RESOURCES.Job],
    // No selector: the cluster controllers' informer of every DatabaseCluster serves this watch
    // too (one shared cache); byRestore ignores clusters without the restore label.
    watches: [{ type: RESOURCES.DatabaseCluster, mapToRequests: byRestore }],
    namespace: options.namespace,
    reconcile: (request, context) => reconcileRestore(options, request, context),
  };
}

interface Source {
  cluster: string;
  storage: string;
  args: string[];
}

export async function reconcileRestore(options: RestoreControllerOptions, request: ReconcileRequest, _context: ReconcileContext): Promise<ReconcileResult> {
  const { client, events } = options;
  const raw = await client.get<KubeObject>(RESOURCES.DatabaseRestore, request.namespace, request.name);
  if (!raw || raw.metadata.deletionTimestamp) return;
  const restore = databaseRestore.parse(raw);
  const status: DatabaseRestoreStatus = structuredClone(restore.status ?? {});
  const generation = restore.metadata.generation;
  if (status.phase === "Completed" || status.phase === "Failed") {
    options.metrics?.observeRestore(restore);
    // The restore Job may write the terminal phase itself; an in-place restore still has to give
    // the cluster back (an operator crash between the two lands here too).
    const completed = status.phase === "Completed";
    if (restore.spec.target?.inPlace && status.targetCluster && (await releaseFence(options, restore, status.targetCluster, completed ? "completed" : "failed (the data may be partly restored: restore again)"))) {
      if (completed) await events.normal(raw, "RestoreCompleted", `Restored ${describeSource(restore)} into ${status.targetCluster} in place`);
      else await events.warning(raw, "RestoreFailed", `Restore ${restore.metadata.name} into ${status.targetCluster} failed at ${status.error?.step ?? "restore"}: ${status.error?.message ?? "see its status"}`);
    }
    return;
  }
  const fail = async (stepName: string, message: string) => {
    await patchStatus(client, RESOURCES.DatabaseRestore, raw, {
      ...status,
      phase: "Failed",
      completedAt: new Date().toISOString(),
      error: { step: stepName, message },
      conditions: setCondition(status.conditions, { type: "Completed", status: "False", reason: "Failed", message: `${stepName}: ${message}` }, generation),
    });
    await events.warning(raw, "RestoreFailed", `Restore ${restore.metadata.name} failed at ${stepName}: ${message}`);
  };

  const source = await resolveSource(client, restore);
  if (typeof source === "string") {
    if (source.startsWith("wait:")) return { requeueAfterMs: 5000 };
    await fail("source", source);
    return;
  }
  // A point in time the API's copy already shows cannot be recovered fails before anything is created.
  if (restore.spec.source.pointInTime && (!status.phase || status.phase === "Pending")) {
    const refusal = await pointInTimeRefusalFor(client, restore);
    if (refusal) return fail("source", refusal);
  }
  const sourceRaw = await client.get<KubeObject>(RESOURCES.DatabaseCluster, request.namespace, source.cluster);
  const inPlace = restore.spec.target?.inPlace === true;
  if (inPlace) return reconcileInPlace(options, raw, restore, status, source, sourceRaw, fail);

  // Into a new cluster.
  const target = restore.spec.target?.newCluster ?? restore.metadata.name;
  let targetRaw = await client.get<KubeObject>(RESOURCES.DatabaseCluster, request.namespace, target);
  if (!targetRaw) {
    if (status.phase === "Running") return fail("cluster", `the target cluster ${target} was deleted during the restore`);
    if (!sourceRaw) return fail("source", `DatabaseCluster ${source.cluster} no longer exists, so its settings cannot be copied; create the target cluster with spec.bootstrap yourself`);
    const sourceCluster = databaseCluster.parse(sourceRaw);
    // Check every object against its manifest first (a Job, as it reads the whole backup):
    // a damaged backup fails the restore here, before a cluster is created around it.
    const checkName = jobName(restore.metadata.name, "check");
    const check = await client.get<JobObject>(RESOURCES.Job, request.namespace, checkName);
    if (!check) {
      await startRestoreJob(options, raw, restore, source, sourceCluster, ["--check-only"], checkName);
      await patchStatus(client, RESOURCES.DatabaseRestore, raw, { ...status, phase: "Pending", job: checkName, conditions: setCondition(status.conditions, { type: "Completed", status: "False", reason: "Checking", message: `Job ${checkName} is checking the stored objects against their manifests` }, generation) });
      return { requeueAfterMs: 3000 };
    }
    const checked = jobOutcome(check);
    if (checked.state === "running") return { requeueAfterMs: 3000 };
    if (checked.state === "failed") {
      const fresh = databaseRestore.parse((await client.get<KubeObject>(RESOURCES.DatabaseRestore, request.namespace, request.name)) ?? raw);
      return fail(fresh.status?.error?.step ?? "checksum", fresh.status?.error?.message ?? `the check Job ${checkName} failed (${checked.reason}); see its logs`);
    }
    const { backup: _backup, bootstrap: _bootstrap, ...settings } = sourceCluster.spec;
    // The source's database by its name (a default follows the cluster's name): the copy's
    // application user gets the restored database, as the source's had it.
    const database = effectiveSpec(sourceCluster).database;
    targetRaw = await client.create<KubeObject>({
      apiVersion: "steward.dev/v1alpha1",
      kind: "DatabaseCluster",
      metadata: { name: target, namespace: request.namespace, labels: { [LABELS.restore]: restore.metadata.name } },
      spec: { ...settings, ...(database ? { database } : {}), bootstrap: { source: restore.spec.source } },
    }).catch(async (error: unknown) => {
      if (!isAlreadyExists(error)) throw error;
      return (await client.get<KubeObject>(RESOURCES.DatabaseCluster, request.namespace, target))!;
    });
    await events.normal(raw, "RestoreStarted", `Created cluster ${target} from ${describeSource(restore)}; its first instance loads the data before it serves`);
  }
  const targetCluster = databaseCluster.parse(targetRaw);
  if (status.phase !== "Running" && status.phase !== "Verifying") {
    await patchStatus(client, RESOURCES.DatabaseRestore, raw, { ...status, phase: "Running", startedAt: status.startedAt ?? new Date().toISOString(), targetCluster: target, pointInTime: restore.spec.source.pointInTime, backup: restore.spec.source.backup });
    return { requeueAfterMs: 2000 };
  }
  if (targetCluster.status?.phase === "Failed") return fail("cluster", `cluster ${target} failed: ${targetCluster.status.conditions?.find((condition) => condition.type === "Ready")?.message ?? "see its status"}`);
  if (targetCluster.status?.phase !== "Ready") {
    const stuck = await bootstrapFailure(client, request.namespace, target);
    if (stuck) return fail("bootstrap", stuck);
    return { requeueAfterMs: 5000 };
  }
  // Ready: record per-table checksums of what was restored.
  return runChecksumJob(options, raw, restore, status, source, targetCluster, fail);
}

interface PodStatusView {
  status?: { initContainerStatuses?: { name: string; restartCount?: number; lastState?: { terminated?: { exitCode?: number; message?: string } } }[] };
}

/** The new cluster's first pod restores in its init step; when that keeps failing, say so instead of waiting forever. */
async function bootstrapFailure(client: KubeClient, namespace: string, cluster: string): Promise<string | undefined> {
  const pod = (await client.get<KubeObject>(RESOURCES.Pod, namespace, `${cluster}-0`)) as (KubeObject & PodStatusView) | undefined;
  const init = pod?.status?.initContainerStatuses?.find((candidate) => (candidate.restartCount ?? 0) >= 2 && (candidate.lastState?.terminated?.exitCode ?? 0) !== 0);
  if (!init) return undefined;
  const terminated = init.lastState!.terminated!;
  return `the first instance ${cluster}-0 failed to restore in its init step ${init.restartCount} times (exit code ${terminated.exitCode}${terminated.message ? `: ${terminated.message.trim().split("\n").slice(-2).join(" | ")}` : ""}); its log says why (kubectl logs ${cluster}-0 -c ${init.name}); delete cluster ${cluster} when done`;
}

async function resolveSource(client: KubeClient, restore: DatabaseRestore): Promise<Source | string> {
  const namespace = restore.metadata.namespace!;
  const spec = restore.spec.source;
  if (spec.backup) {
    const raw = await client.get<KubeObject>(RESOURCES.DatabaseBackup, namespace, spec.backup);
    if (!raw) return `DatabaseBackup ${spec.backup} does not exist in namespace ${namespace}`;
    const backup = databaseBackup.parse(raw);
    if (backup.status?.phase === "Failed") return `backup ${spec.backup} Failed; choose a Completed backup (kubectl get dbb)`;
    if (backup.status?.phase !== "Completed") return `wait: backup ${spec.backup} is ${backup.status?.phase ?? "Pending"}`;
    return { cluster: backup.spec.cluster, storage: backup.status.storage ?? backup.spec.storage ?? "", args: ["--backup", spec.backup] };
  }
  const raw = await client.get<KubeObject>(RESOURCES.DatabaseCluster, namespace, spec.cluster!);
  if (!raw) return `DatabaseCluster ${spec.cluster} does not exist: a point-in-time restore reads its spec.backup.storage`;
  const cluster = databaseCluster.parse(raw);
  if (!cluster.spec.backup?.pointInTime?.enabled) return `cluster ${spec.cluster} does not archive binlogs: set spec.backup.pointInTime.enabled: true (it applies from then on)`;
  return { cluster: spec.cluster!, storage: cluster.spec.backup.storage, args: ["--point-in-time", spec.pointInTime!] };
}

/** The refusal of a point-in-time restore, judged on the source cluster's status and its DatabaseBackups. */
async function pointInTimeRefusalFor(client: KubeClient, restore: DatabaseRestore): Promise<string | undefined> {
  const namespace = restore.metadata.namespace!;
  const source = restore.spec.source;
  const raw = await client.get<KubeObject>(RESOURCES.DatabaseCluster, namespace, source.cluster!);
  if (!raw) return undefined;
  const cluster = databaseCluster.parse(raw);
  const backups: BackupFacts[] = (await client.list(RESOURCES.DatabaseBackup, namespace)).items
    .map((item) => databaseBackup.parse(item))
    .filter((backup) => backup.spec.cluster === source.cluster)
    .map((backup) => ({ name: backup.metadata.name, phase: backup.status?.phase, consistentAt: backup.status?.consistentAt ?? backup.status?.completedAt, deleting: Boolean(backup.metadata.deletionTimestamp) }));
  const pointInTime = cluster.status?.pointInTime;
  return pointInTimeRefusal({ backups, window: windowFromStatus(pointInTime, backups), target: new Date(source.pointInTime!), gaps: pointInTime?.gaps, now: new Date() });
}

function describeSource(restore: DatabaseRestore): string {
  const source = restore.spec.source;
  return source.backup ? `backup ${source.backup}` : `cluster ${source.cluster} at ${source.pointInTime}`;
}

type Fail = (stepName: string, message: string) => Promise<void>;

async function startRestoreJob(options: RestoreControllerOptions, owner: KubeObject, restore: DatabaseRestore, source: Source, target: DatabaseCluster, extraArgs: string[], name: string): Promise<void> {
  const { client } = options;
  const namespace = restore.metadata.namespace!;
  const storage = await getBackupStorage(client, namespace, source.storage);
  for (const object of buildAgentRbac(namespace)) await client.apply(object);
  const engineTarget = jobTargetFor(options.engines, target, extraArgs.includes("--replace-existing") ? primaryHostFor(options.engines, target) : undefined);
  try {
    await client.create(
      buildAgentJob({
        name,
        namespace,
        owner,
        labels: restoreJobLabels(restore, target.metadata.name),
        image: agentImage(),
        args: ["restore", "--namespace", namespace, "--source-cluster", source.cluster, "--restore", restore.metadata.name, ...source.args, ...engineTarget.args, ...extraArgs],
        env: engineTarget.env,
        agentCommand: engineTarget.agentCommand,
        storage,
      }),
    );
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
}

async function runChecksumJob(options: RestoreControllerOptions, raw: KubeObject, restore: DatabaseRestore, status: DatabaseRestoreStatus, source: Source, target: DatabaseCluster, fail: Fail): Promise<ReconcileResult> {
  const { client, events } = options;
  const name = jobName(restore.metadata.name, "restore");
  const job = await client.get<JobObject>(RESOURCES.Job, restore.metadata.namespace, name);
  if (!job) {
    await startRestoreJob(options, raw, restore, source, target, ["--checksums-only"], name);
    await patchStatus(client, RESOURCES.DatabaseRestore, raw, { ...status, phase: "Verifying", job: name });
    return { requeueAfterMs: 3000 };
  }
  return finishFromJob(options, raw, restore, job, fail, async () => {
    await events.normal(raw, "RestoreCompleted", `Restored ${describeSource(restore)} into cluster ${target.metadata.name}, which is Ready`);
  });
}

async function finishFromJob(options: RestoreControllerOptions, raw: KubeObject, restore: DatabaseRestore, job: JobObject, fail: Fail, onSuccess: () => Promise<void>): Promise<ReconcileResult> {
  const { client } = options;
  const outcome = jobOutcome(job);
  if (outcome.state === "running") return { requeueAfterMs: 5000 };
  const freshRaw = (await client.get<KubeObject>(RESOURCES.DatabaseRestore, restore.metadata.namespace, restore.metadata.name)) ?? raw;
  const fresh = databaseRestore.parse(freshRaw);
  if (outcome.state === "failed") {
    const reported = fresh.status?.error;
    await fail(reported?.step ?? "job", reported?.message ?? `the restore Job ${job.metadata.name} failed (${outcome.reason}); see its logs`);
    return;
  }
  const status = fresh.status ?? {};
  await patchStatus(client, RESOURCES.DatabaseRestore, freshRaw, {
    ...status,
    phase: "Completed",
    completedAt: status.completedAt ?? new Date().toISOString(),
    conditions: setCondition(status.conditions, { type: "Completed", status: "True", reason: "Restored", message: `Restored; ${status.verification?.tables.length ?? 0} tables checksummed (status.verification)` }, fresh.metadata.generation),
  });
  await onSuccess();
  return;
}

const FENCED_BY = ANNOTATIONS.fenced;

/**
 * Gives a cluster fenced by this restore back: its primary behind its Service again (reconciling
 * was paused, so the primary in status is still the one), then reconciling resumed. A no-op when
 * the cluster is not (or no longer) fenced by this restore.
 */
async function releaseFence(options: RestoreControllerOptions, restore: DatabaseRestore, clusterName: string, why: string): Promise<boolean> {
  const { client, events } = options;
  const namespace = restore.metadata.namespace!;
  const clusterRaw = await client.get<KubeObject>(RESOURCES.DatabaseCluster, namespace, clusterName);
  if (!clusterRaw || clusterRaw.metadata.annotations?.[FENCED_BY] !== restore.metadata.name) return false;
  const cluster = databaseCluster.parse(clusterRaw);
  const primary = cluster.status?.currentPrimary;
  if (primary && options.engines[cluster.spec.engine]?.primaryHost) await client.mergePatch(RESOURCES.Pod, namespace, primary, { metadata: { labels: { [LABELS.role]: "primary" } } }).catch(() => undefined);
  await client.mergePatch(RESOURCES.DatabaseCluster, namespace, clusterName, { metadata: { annotations: { [ANNOTATIONS.paused]: null, [FENCED_BY]: null } } });
  await events.normal(clusterRaw, "Reopened", `Reopened cluster ${clusterName} for writes after restore ${restore.metadata.name} ${why}`);
  return true;
}

async function reconcileInPlace(
  options: RestoreControllerOptions,
  raw: KubeObject,
  restore: DatabaseRestore,
  status: DatabaseRestoreStatus,
  source: Source,
  clusterRaw: KubeObject | undefined,
  fail: Fail,
): Promise<ReconcileResult> {
  const { client, events } = options;
  const namespace = restore.metadata.namespace!;
  if (!clusterRaw) return fail("cluster", `DatabaseCluster ${source.cluster} does not exist: an in-place restore needs the cluster running`);
  const cluster = databaseCluster.parse(clusterRaw);
  const annotations = cluster.metadata.annotations ?? {};
  const name = jobName(restore.metadata.name, "restore");
  const job = await client.get<JobObject>(RESOURCES.Job, namespace, name);

  if (!job) {
    if (status.phase === "Running" && annotations[FENCED_BY] !== restore.metadata.name) return fail("job", "the restore Job disappeared");
    // Engines with a primary (their backup facet can address it) restore into it, fenced;
    // the others (RabbitMQ: any node imports for the whole cluster) through their usual target.
    const withPrimary = options.engines[cluster.spec.engine]?.primaryHost !== undefined;
    const primary = cluster.status?.currentPrimary;
    if (withPrimary && !primary) return { requeueAfterMs: 5000 }; // wait for a primary to restore into
    if (annotations[FENCED_BY] !== restore.metadata.name) {
      // Fence: stop reconciling (nothing relabels), take the primary out of its Service.
      await client.mergePatch(RESOURCES.DatabaseCluster, namespace, cluster.metadata.name, { metadata: { annotations: { [ANNOTATIONS.paused]: "true", [FENCED_BY]: restore.metadata.name } } });
      if (primary && withPrimary) await client.mergePatch(RESOURCES.Pod, namespace, primary, { metadata: { labels: { [LABELS.role]: null } } });
      const fenced = primary && withPrimary ? `primary ${primary} out of its Service, reconciling paused` : "reconciling paused";
      await events.warning(clusterRaw, "Fenced", `Fenced cluster ${cluster.metadata.name} for in-place restore ${restore.metadata.name}: ${fenced}`);
    }
    await startRestoreJob(options, raw, restore, source, cluster, ["--replace-existing"], name);
    await patchStatus(client, RESOURCES.DatabaseRestore, raw, { ...status, phase: "Running", startedAt: status.startedAt ?? new Date().toISOString(), targetCluster: cluster.metadata.name, job: name });
    await events.normal(raw, "RestoreStarted", `Started replacing the data of ${cluster.metadata.name} with ${describeSource(restore)} (Job ${name})`);
    return { requeueAfterMs: 3000 };
  }
  const outcome = jobOutcome(job);
  if (outcome.state === "running") return { requeueAfterMs: 5000 };
  await releaseFence(options, restore, cluster.metadata.name, outcome.state === "succeeded" ? "completed" : "failed (the data may be partly restored: restore again)");
  return finishFromJob(options, raw, restore, job, fail, async () => {
    await events.normal(raw, "RestoreCompleted", `Restored ${describeSource(restore)} into ${cluster.metadata.name} in place`);
  });
}
