import { effectiveSpec, type DatabaseCluster } from "../../shared/api/index.js";
import type { EngineJobTarget } from "../../operators/common/job-target.js";
import { mysqlJobTarget } from "../../operators/mysql/backup/job-target.js";
import { mysqlNames } from "../../operators/mysql/names.js";
import { redisJobTarget, redisPrimaryHost } from "../../operators/redis/backup/job-target.js";
import { rabbitmqJobTarget } from "../../operators/rabbitmq/backup/job-target.js";

/** How agent Jobs reach each engine's cluster (host, credentials by reference); one line per engine. */
export function jobTargetFor(cluster: DatabaseCluster, host?: string): EngineJobTarget {
  const spec = effectiveSpec(cluster);
  switch (spec.engine) {
    case "mysql":
      return mysqlJobTarget(cluster, spec, host);
    case "redis":
      return redisJobTarget(cluster, spec, host);
    case "rabbitmq":
      return rabbitmqJobTarget(cluster, host);
    default:
      throw new Error(`engine ${spec.engine} has no backups in this build of Steward`);
  }
}

/** The current primary's own address (not the Service: an in-place restore fences the Service). */
export function primaryHostFor(cluster: DatabaseCluster): string | undefined {
  const primary = cluster.status?.currentPrimary;
  if (!primary) return undefined;
  switch (cluster.spec.engine) {
    case "mysql":
      return mysqlNames(cluster).podHost(primary);
    case "redis":
      return redisPrimaryHost(cluster);
    default:
      return undefined;
  }
}
