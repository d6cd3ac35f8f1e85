import { backupStorage, type BackupStorageStatus } from "../../shared/api/index.js";
import { RESOURCES, type KubeClient, type KubeObject } from "../../shared/k8s/client.js";
import { setCondition } from "../../shared/conditions.js";
import type { EventRecorder } from "../../shared/events.js";
import type { ControllerSpec, ReconcileContext, ReconcileRequest, ReconcileResult } from "../../shared/runtime/controller.js";
import { probeStorage } from "../s3/objects.js";
import { patchStatus } from "./status-patch.js";
import { openStorage } from "./storage-access.js";

export interface StorageControllerOptions {
  client: KubeClient;
  events: EventRecorder;
  namespace?: string;
  /** How often a reachable storage is checked again. */
  recheckMs?: number;
}

/**
 * BackupStorage: checks the target (the bucket answers, a small object can be written, read
 * and removed with the credentials) and says so in the Available condition, with the S3 call
 * and HTTP status when it cannot.
 */
export function backupStorageController(options: StorageControllerOptions): ControllerSpec {
  return {
    name: "backupstorage",
    for: RESOURCES.BackupStorage,
    namespace: options.namespace,
    reconcile: (request, context) => reconcileStorage(options, request, context),
  };
}

export async function reconcileStorage(options: StorageControllerOptions, request: ReconcileRequest, _context: ReconcileContext): Promise<ReconcileResult> {
  const { client, events } = options;
  const raw = await client.get<KubeObject>(RESOURCES.BackupStorage, request.namespace, request.name);
  if (!raw || raw.metadata.deletionTimestamp) return;
  const storage = backupStorage.parse(raw);
  const status: BackupStorageStatus = structuredClone(storage.status ?? {});
  const generation = storage.metadata.generation;
  let problem: string | undefined;
  try {
    const access = await openStorage(client, storage);
    try {
      await probeStorage(access.client, access.target.bucket, access.target.prefix);
    } finally {
      access.client.destroy();
    }
  } catch (error) {
    problem = (error as Error).message;
  }
  const wasAvailable = status.phase === "Available";
  status.phase = problem ? "Unavailable" : "Available";
  status.observedGeneration = generation;
  status.lastCheckedAt = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  status.conditions = setCondition(
    status.conditions,
    problem
      ? { type: "Available", status: "False", reason: "CheckFailed", message: `${problem}; fix the endpoint, bucket or credentials Secret (checked again every 30 s)` }
      : { type: "Available", status: "True", reason: "Checked", message: `Bucket ${storage.spec.s3.bucket} answered, and a test object was written, read and removed` },
    generation,
  );
  // lastCheckedAt alone changing is not worth a write every minute: keep the old one when nothing else changed.
  const { lastCheckedAt: _checked, ...rest } = status;
  const { lastCheckedAt: _before, ...previous } = storage.status ?? {};
  if (JSON.stringify(rest) !== JSON.stringify(previous) || !storage.status?.lastCheckedAt) await patchStatus(client, RESOURCES.BackupStorage, raw, status);
  if (problem && (wasAvailable || !storage.status)) await events.warning(raw, "StorageUnavailable", `BackupStorage ${request.name} is unavailable: ${problem}`);
  if (!problem && !wasAvailable) await events.normal(raw, "StorageAvailable", `BackupStorage ${request.name} is available: bucket ${storage.spec.s3.bucket} checked`);
  return { requeueAfterMs: problem ? 30_000 : (options.recheckMs ?? 5 * 60_000) };
}
