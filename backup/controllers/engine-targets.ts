import type { DatabaseCluster } from "../../shared/api/index.js";
import { backupSupportOf, type BackupEngines, type EngineJobTarget } from "../engine-backup.js";

/** How agent Jobs reach a cluster of any engine (host, credentials by reference), from its backup facet. */
export function jobTargetFor(engines: BackupEngines, cluster: DatabaseCluster, host?: string): EngineJobTarget {
  return backupSupportOf(engines, cluster.spec.engine).jobTarget(cluster, host);
}

/** The current primary's own address (not the Service: an in-place restore fences the Service). */
export function primaryHostFor(engines: BackupEngines, cluster: DatabaseCluster): string | undefined {
  return engines[cluster.spec.engine]?.primaryHost?.(cluster);
}
