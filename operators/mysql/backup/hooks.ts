import { registerMysqlBackupHooks } from "../backup-hooks.js";
import { restoreMariaDbIntoDataDir } from "./bootstrap-restore.js";
import { buildBinlogArchiverContainer } from "./job-target.js";

/** Plugs the MySQL backup code into the engine (operator and agent call this once at start). */
export function registerMysqlBackup(): void {
  registerMysqlBackupHooks({
    sidecars: (cluster, spec, agentImage) => (spec.backup?.pointInTime?.enabled ? [buildBinlogArchiverContainer(cluster, spec, agentImage)] : []),
    restoreIntoDataDir: restoreMariaDbIntoDataDir,
  });
}
