/**
 * Where backups plug into the MySQL engine (the backup engineer's side, issue 5), without
 * the engine importing backup/:
 * - `restoreIntoDataDir`: spec.bootstrap. The first instance of a new cluster restores into its
 *   empty data folder instead of initializing; runs inside `steward agent mysql-init`
 *   (agent/init.ts). Return the GTID position the restored data ends at, if known.
 * - `sidecars`: extra containers beside the engine (e.g. binlog archiving for point-in-time
 *   recovery when spec.backup.pointInTime.enabled), added to the StatefulSet's pod template.
 * The backup code calls `registerMysqlBackupHooks` at start-up (operator and agent).
 */
import type { V1Container } from "@kubernetes/client-node";
import type { DatabaseCluster, EffectiveSpec, MysqlFlavor } from "../../shared/api/index.js";

export interface RestoreIntoDataDirOptions {
  /** spec.bootstrap.source as JSON. */
  source: string;
  dataDir: string;
  stateDir: string;
  flavor: MysqlFlavor;
  log: (line: string) => void;
}

export interface MysqlBackupHooks {
  restoreIntoDataDir?: (options: RestoreIntoDataDirOptions) => Promise<{ gtid?: string }>;
  sidecars?: (cluster: DatabaseCluster, spec: EffectiveSpec, agentImage: string) => V1Container[];
}

export const mysqlBackupHooks: MysqlBackupHooks = {};

export function registerMysqlBackupHooks(hooks: MysqlBackupHooks): void {
  Object.assign(mysqlBackupHooks, hooks);
}
