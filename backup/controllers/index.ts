import type { KubeClient } from "../../shared/k8s/client.js";
import type { EventRecorder } from "../../shared/events.js";
import type { ControllerSpec } from "../../shared/runtime/controller.js";
import type { BackupEngines } from "../engine-backup.js";
import type { DatabaseMetrics } from "../../shared/database-metrics.js";
import { backupController } from "./backup-controller.js";
import { backupPolicyController } from "./policy-controller.js";
import { restoreController } from "./restore-controller.js";
import { backupStorageController } from "./storage-controller.js";

/**
 * Every backup controller, for createOperator: BackupStorage, DatabaseBackup, the per-cluster
 * policy (schedule, retention, verification), DatabaseRestore. `engines` is each engine's
 * backup facet from the registry: the controllers name no engine.
 */
export function backupControllers(options: { client: KubeClient; events: EventRecorder; namespace?: string; engines: BackupEngines; metrics?: DatabaseMetrics }): ControllerSpec[] {
  return [backupStorageController(options), backupController(options), backupPolicyController(options), restoreController(options)];
}
