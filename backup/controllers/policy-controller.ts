import { ANNOTATIONS, LABELS, databaseBackup, databaseCluster, parseDuration, type DatabaseBackup, type DatabaseCluster } from "../../shared/api/index.js";
import { RESOURCES, isAlreadyExists, type KubeClient, type KubeObject } from "../../shared/k8s/client.js";
import { ownerReference } from "../../shared/k8s/owner.js";
import { setCondition } from "../../shared/conditions.js";
import type { EventRecorder } from "../../shared/events.js";
import type { DatabaseMetrics } from "../../shared/database-metrics.js";
import type { ControllerSpec, ReconcileContext, ReconcileRequest, ReconcileResult } from "../../shared/runtime/controller.js";
import { backupStorageSecretName } from "../cluster-secrets.js";
import { readArchiveReach } from "../log-archive.js";
import { pointInTimeGaps, type ArchiveHole } from "../planning/archive-gaps.js";
import { planRetention } from "../planning/retention.js";
import { planSchedule, scheduledBackupName } from "../planning/schedule.js";
import { agentImage } from "../agent/image.js";
import type { BackupEngines } from "../engine-backup.js";
import { jobTargetFor } from "./engine-targets.js";
import { buildAgentJob, buildAgentRbac, jobName, SCRATCH } from "./jobs.js";
import { jobOutcome, type JobObject } from "./job-status.js";
import { patchStatus } from "./status-patch.js";
import { StorageProblem, agentStorageSecretData, getBackupStorage, openStorage } from "./storage-access.js";
import { ensureBootstrapSecret } from "./bootstrap-secret.js";

const ARCHIVE_READ_EVERY_MS = 10_000;
const archiveCache = new Map<string, { latest?: string; holes: ArchiveHole[]; readAt: number }>();

/** Kept on the cluster (an annotation survives retention deleting the backup it names). */
export const LAST_SCHEDULED_ANNOTATION = "steward.dev/last-scheduled-backup";
export const LAST_INCREMENTAL_ANNOTATION = "steward.dev/last-scheduled-incremental-backup";
export const SCHEDULED_FOR_ANNOTATION = "steward.dev/scheduled-for";

export interface PolicyControllerOptions {
  client: KubeClient;
  events: EventRecorder;
  namespace?: string;
  /** Each engine's backup facet, from the registry. */
  engines: BackupEngines;
  now?: () => Date;
  /** Per-database backup metrics, fed from the backups this controller lists. */
  metrics?: DatabaseMetrics;
}

/**
 * A cluster's backup policy, carried out: scheduled backups (one catch-up after downtime,
 * never two at once), retention, verification Jobs, the storage Secret the PITR sidecar reads,
 * the bootstrap Secret of a cluster created from a backup, and the backup fields of the
 * cluster's status (last and next backup, recoverable window).
 */
export function backupPolicyController(options: PolicyControllerOptions): ControllerSpec {
  const byCluster = (object: KubeObject) => {
    const name = object.metadata.labels?.[LABELS.cluster];
    return name && object.metadata.namespace ? [{ namespace: object.metadata.namespace, name }] : [];
  };
  return {
    name: "backuppolicy",
    for: RESOURCES.DatabaseCluster,
    // No selector: the backup controller's informer of every DatabaseBackup serves this watch
    // too (one shared cache); byCluster ignores backups without the cluster label.
    watches: [{ type: RESOURCES.DatabaseBackup, mapToRequests: byCluster }],
    namespace: options.namespace,
    reconcile: (request, context) => reconcilePolicy(options, request, context),
  };
}

function isActive(backup: DatabaseBackup): boolean {
  return backup.status?.phase !== "Completed" && backup.status?.phase !== "Failed" && !backup.metadata.deletionTimestamp;
}

export async function reconcilePolicy(options: PolicyControllerOptions, request: ReconcileRequest, context: ReconcileContext): Promise<ReconcileResult> {
  const { client, events } = options;
  const now = (options.now ?? (() => new Date()))();
  const raw = await client.get<KubeObject>(RESOURCES.DatabaseCluster, request.namespace, request.name);
  if (!raw || raw.metadata.deletionTimestamp) return;
  const cluster = databaseCluster.parse(raw);
  if (cluster.spec.bootstrap) await ensureBootstrapSecret(client, raw, cluster);
  const policy = cluster.spec.backup;
  if (!policy) return;
  let storage;
  try {
    storage = await getBackupStorage(client, request.namespace, policy.storage);
  } catch (error) {
    if (error instanceof StorageProblem) {
      context.log.warn({ err: error.message }, "backup storage missing");
      return { requeueAfterMs: 30_000 };
    }
    throw error;
  }
  if (policy.pointInTime?.enabled) await ensureStorageSecret(client, raw, cluster, storage);

  const list = await client.list<KubeObject>(RESOURCES.DatabaseBackup, request.namespace, { labelSelector: `${LABELS.cluster}=${cluster.metadata.name}` });
  const backups = list.items.map((item) => databaseBackup.parse(item)).filter((backup) => backup.spec.cluster === cluster.metadata.name);
  let requeue = 60_000;

  // Schedules: full copies (schedule), and incremental physical ones between them (incrementalSchedule).
  const schedules = [
    { schedule: policy.schedule, annotation: LAST_SCHEDULED_ANNOTATION, suffix: "", spec: policy.method === "physical" ? { method: "physical" } : {} },
    { schedule: policy.incrementalSchedule, annotation: LAST_INCREMENTAL_ANNOTATION, suffix: "-inc", spec: { method: "physical", incremental: true } },
  ];
  for (const { schedule, annotation, suffix, spec } of schedules) {
    if (!schedule || cluster.metadata.annotations?.[ANNOTATIONS.paused]) continue;
    const last = cluster.metadata.annotations?.[annotation];
    const plan = planSchedule({
      schedule,
      timeZone: policy.timeZone,
      now,
      lastScheduledFor: last ? new Date(last) : undefined,
      since: new Date(String(cluster.metadata.creationTimestamp ?? now.toISOString())),
      backups: backups.map((backup) => ({ name: backup.metadata.name, active: isActive(backup) })),
    });
    if (plan.action === "create") {
      const name = `${scheduledBackupName(cluster.metadata.name, plan.scheduledFor)}${suffix}`;
      const object: KubeObject = {
        apiVersion: "steward.dev/v1alpha1",
        kind: "DatabaseBackup",
        metadata: {
          name,
          namespace: request.namespace,
          labels: { [LABELS.cluster]: cluster.metadata.name, [LABELS.scheduled]: "true", [LABELS.managedBy]: "steward" },
          annotations: { [SCHEDULED_FOR_ANNOTATION]: plan.scheduledFor.toISOString() },
        },
        spec: { cluster: cluster.metadata.name, storage: policy.storage, ...spec },
      };
      try {
        await client.create(object);
        await events.normal(raw, "BackupScheduled", `Created scheduled backup ${name} for ${plan.scheduledFor.toISOString()}${plan.catchUp ? " (one catch-up for the times missed while the operator was down)" : ""}`);
      } catch (error) {
        if (!isAlreadyExists(error)) throw error;
      }
      await client.mergePatch(RESOURCES.DatabaseCluster, request.namespace, request.name, { metadata: { annotations: { [annotation]: plan.scheduledFor.toISOString() } } });
      // The other schedule sees this backup running at the next reconcile and waits for it.
      backups.push(databaseBackup.parse(object));
    }
    requeue = Math.min(requeue, Math.max(1000, plan.next.getTime() - now.getTime() + 50));
  }

  // Retention.
  if (policy.retention && (policy.retention.keepLast !== undefined || policy.retention.maxAge)) {
    const plan = planRetention(
      backups.filter((backup) => !backup.metadata.deletionTimestamp).map((backup) => ({
        name: backup.metadata.name,
        phase: backup.status?.phase,
        completedAt: backup.status?.completedAt ? new Date(backup.status.completedAt) : undefined,
        createdAt: new Date(String(backup.metadata.creationTimestamp ?? now.toISOString())),
        parent: backup.status?.parent,
      })),
      { keepLast: policy.retention.keepLast, maxAgeMs: policy.retention.maxAge ? parseDuration(policy.retention.maxAge) : undefined },
      now,
    );
    for (const removal of plan.remove) {
      await client.delete(RESOURCES.DatabaseBackup, request.namespace, removal.name);
      await events.normal(raw, "BackupExpired", `Deleted backup ${removal.name} by retention: ${removal.reason}`);
    }
  }

  // Verification: one Job at a time per cluster, for Completed backups not yet verified.
  if (policy.verify) {
    const waiting = await reconcileVerification(options, cluster, backups, storage);
    if (waiting) requeue = Math.min(requeue, 10_000);
  }

  // Status: last and next backup, and the recoverable window.
  const completed = backups.filter((backup) => backup.status?.phase === "Completed").sort((a, b) => String(b.status?.completedAt).localeCompare(String(a.status?.completedAt)));
  const newest = [...backups].sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)))[0];
  const status: Record<string, unknown> = {};
  if (newest) status.lastBackup = { name: newest.metadata.name, phase: newest.status?.phase ?? "Pending", completedAt: newest.status?.completedAt };
  if (policy.schedule) status.nextBackup = planSchedule({ schedule: policy.schedule, timeZone: policy.timeZone, now, since: now, backups: [] }).next.toISOString();
  if (policy.pointInTime?.enabled) {
    const consistent = completed.map((backup) => backup.status?.consistentAt ?? backup.status?.completedAt).filter((time): time is string => Boolean(time)).sort();
    const earliest = consistent[0];
    const cacheKey = `${request.namespace}/${request.name}`;
    let cached = archiveCache.get(cacheKey);
    // The cluster's status changes often (observation); S3 is asked at most every 10 s per cluster.
    if (!cached || now.getTime() - cached.readAt >= ARCHIVE_READ_EVERY_MS) {
      let reach = { latest: cached?.latest, holes: cached?.holes ?? [] };
      try {
        const access = await openStorage(client, storage);
        try {
          const read = await readArchiveReach(access, { namespace: request.namespace, name: cluster.metadata.name });
          reach = { latest: read.states.map((state) => state.archivedUntil).sort().at(-1), holes: read.holes };
        } finally {
          access.client.destroy();
        }
      } catch (error) {
        context.log.warn({ err: (error as Error).message }, "could not read the archive state");
      }
      cached = { ...reach, readAt: now.getTime() };
      archiveCache.set(cacheKey, cached);
    }
    const latest = earliest && cached.latest ? cached.latest : undefined;
    const gaps = pointInTimeGaps(cached.holes, consistent.map((time) => new Date(time)), { earliest: earliest ? new Date(earliest) : undefined, latest: latest ? new Date(latest) : undefined });
    // gaps: [] (not absent) so a merge patch clears gaps a newer backup has closed.
    status.pointInTime = { earliest, latest, gaps };
    requeue = Math.min(requeue, 30_000);
  }
  await client.mergePatch(RESOURCES.DatabaseCluster, request.namespace, request.name, { status }, { subresource: "status" });
  options.metrics?.observeBackups({ ...cluster, status: { ...cluster.status, ...(status as DatabaseCluster["status"]) } }, backups);
  return { requeueAfterMs: requeue };
}

/** `<cluster>-backup-storage`: the storage's location and credentials for the PITR sidecar (envFrom), owned by the cluster. */
async function ensureStorageSecret(client: KubeClient, owner: KubeObject, cluster: DatabaseCluster, storage: Awaited<ReturnType<typeof getBackupStorage>>): Promise<void> {
  const access = await openStorage(client, storage);
  access.client.destroy();
  const data = agentStorageSecretData(storage, access);
  await client.apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: backupStorageSecretName(cluster), namespace: cluster.metadata.namespace, labels: { [LABELS.cluster]: cluster.metadata.name, [LABELS.managedBy]: "steward" }, ownerReferences: [ownerReference(owner)] },
    type: "Opaque",
    stringData: data,
  });
}

async function reconcileVerification(options: PolicyControllerOptions, cluster: DatabaseCluster, backups: DatabaseBackup[], storage: Awaited<ReturnType<typeof getBackupStorage>>): Promise<boolean> {
  const { client, events } = options;
  const namespace = cluster.metadata.namespace!;
  // Results the verify agent reported become conditions.
  for (const backup of backups) {
    const result = backup.status?.verification;
    if (!result) continue;
    const type = result.result === "Verified" ? "Verified" : "VerificationFailed";
    if (backup.status?.conditions?.some((condition) => condition.type === type && condition.status === "True")) continue;
    const rawBackup = await client.get<KubeObject>(RESOURCES.DatabaseBackup, namespace, backup.metadata.name);
    if (!rawBackup) continue;
    const conditions = setCondition(backup.status?.conditions, { type, status: "True", reason: result.result === "Verified" ? "RestoredAndChecked" : "RestoreFailed", message: result.message }, backup.metadata.generation);
    await patchStatus(client, RESOURCES.DatabaseBackup, rawBackup, { ...backup.status, conditions });
    if (type === "Verified") await events.normal(rawBackup, "BackupVerified", `Verified backup ${backup.metadata.name}: ${result.message}`);
    else await events.warning(rawBackup, "BackupVerificationFailed", `Verification of backup ${backup.metadata.name} failed: ${result.message}`);
  }
  const pending = backups.filter((backup) => backup.status?.phase === "Completed" && !backup.status.verification && !backup.metadata.deletionTimestamp);
  for (const backup of pending) {
    const name = jobName(backup.metadata.name, "verify");
    const job = await client.get<JobObject>(RESOURCES.Job, namespace, name);
    if (job) {
      const outcome = jobOutcome(job);
      if (outcome.state === "running") return true;
      if (outcome.state === "failed") {
        const rawBackup = await client.get<KubeObject>(RESOURCES.DatabaseBackup, namespace, backup.metadata.name);
        const fresh = rawBackup ? databaseBackup.parse(rawBackup) : backup;
        if (rawBackup && !fresh.status?.verification) {
          await patchStatus(client, RESOURCES.DatabaseBackup, rawBackup, { ...fresh.status, verification: { result: "Failed", message: `the verification Job ${name} failed (${outcome.reason}); see its logs`, checkedAt: new Date().toISOString() } });
        }
      }
      continue;
    }
    const rawBackup = await client.get<KubeObject>(RESOURCES.DatabaseBackup, namespace, backup.metadata.name);
    if (!rawBackup) continue;
    // The backup's own storage (a backup may have been written elsewhere than the cluster's default).
    const backupStorage = backup.status?.storage && backup.status.storage !== storage.metadata.name ? await getBackupStorage(client, namespace, backup.status.storage) : storage;
    for (const object of buildAgentRbac(namespace)) await client.apply(object);
    const target = jobTargetFor(options.engines, cluster);
    const flavorArgs = target.args.filter((_, index, args) => args[index - 1] === "--flavor" || args[index] === "--flavor" || args[index] === "--engine" || args[index - 1] === "--engine");
    try {
      await client.create(
        buildAgentJob({
          name,
          namespace,
          owner: rawBackup,
          labels: { [LABELS.managedBy]: "steward", [LABELS.cluster]: cluster.metadata.name, [LABELS.backup]: backup.metadata.name, [LABELS.component]: "verify" },
          image: agentImage(),
          args: ["verify", "--namespace", namespace, "--cluster", cluster.metadata.name, "--backup", backup.metadata.name, "--work-dir", SCRATCH, ...flavorArgs],
          env: [],
          agentCommand: target.agentCommand,
          storage: backupStorage,
        }),
      );
      await events.normal(rawBackup, "VerificationStarted", `Started verifying backup ${backup.metadata.name} in a throwaway instance (Job ${name})`);
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
    return true;
  }
  return false;
}
