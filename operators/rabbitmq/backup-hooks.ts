/**
 * Where backups plug into the RabbitMQ engine (the backup engineer's side, issue 5), without
 * the engine importing backup/:
 * - `restoreInitContainers`: spec.bootstrap. Init containers that run before the setup step of
 *   every pod of a new cluster and write the backup's definitions to
 *   RABBITMQ_PATHS.restoreDefinitions (with RabbitmqBackup.load and a dataDir of
 *   RABBITMQ_PATHS.data, the new cluster's administrator as endpoint). The setup step then has
 *   the node load them at its first boot. Without the hook a bootstrapped cluster starts empty
 *   and its definitions can be loaded online (POST /api/definitions, RabbitmqBackup.load with an
 *   endpoint) once it is Ready.
 * The backup code calls `registerRabbitmqBackupHooks` at start-up.
 */
import type { V1Container } from "@kubernetes/client-node";
import type { DatabaseCluster, EffectiveSpec } from "../../shared/api/index.js";

export interface RabbitmqBackupHooks {
  restoreInitContainers?: (cluster: DatabaseCluster, spec: EffectiveSpec, agentImage: string) => V1Container[];
}

export const rabbitmqBackupHooks: RabbitmqBackupHooks = {};

export function registerRabbitmqBackupHooks(hooks: RabbitmqBackupHooks): void {
  Object.assign(rabbitmqBackupHooks, hooks);
}
