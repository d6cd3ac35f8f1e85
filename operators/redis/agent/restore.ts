/**
 * `steward agent redis-restore`: the init step of a Redis cluster created from a backup
 * (spec.bootstrap, see resources/statefulset.ts). On ordinal 0 with an empty data directory it
 * places the backup's RDB there before redis-server starts (the operator then makes that pod
 * the primary, and the replicas copy it); anywhere else it does nothing: replicas copy from
 * the primary, and a restarted pod keeps its data.
 *
 * Where the backup is comes from the `<cluster>-bootstrap` Secret (envFrom), which backup/'s
 * controllers write from spec.bootstrap.source: the storage, its credentials and key, and the
 * source cluster and backup.
 */
import { Command } from "commander";
import { storageFromEnvironment } from "../../../backup/agent/environment.js";
import { readBackupManifest, runRestore } from "../../../backup/pipeline.js";
import { s3Url } from "../../../backup/manifest.js";
import { rootLogger } from "../../../shared/log.js";
import { BOOTSTRAP_ENV } from "../../../backup/cluster-secrets.js";
import { ordinalOf } from "../../common/names.js";
import { holdsData } from "../backup/data-dir.js";
import { RedisBackup } from "../backup/redis-backup.js";

export type RestoreOutcome = "replica" | "existing" | "restored";

/** Restores the backup the bootstrap Secret names into `dataDir`; returns what it restored. */
export async function restoreBootstrapBackup(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const namespace = env[BOOTSTRAP_ENV.namespace];
  const cluster = env[BOOTSTRAP_ENV.cluster];
  const backup = env[BOOTSTRAP_ENV.backup];
  if (!namespace || !cluster) throw new Error(`the init step has no ${BOOTSTRAP_ENV.cluster}: the Secret <cluster>-bootstrap is missing (the backup controllers write it)`);
  if (env[BOOTSTRAP_ENV.pointInTime]) throw new Error("Redis clusters cannot be restored to a point in time (no log archive); name a backup in spec.bootstrap.source");
  if (!backup) throw new Error(`the init step has no ${BOOTSTRAP_ENV.backup}: spec.bootstrap.source must name a backup`);
  const storage = storageFromEnvironment(env);
  try {
    const manifest = await readBackupManifest(storage, { namespace, name: cluster }, backup);
    if (!manifest) throw new Error(`backup ${backup} of ${namespace}/${cluster} has no manifest in ${s3Url(storage.target.bucket, storage.target.prefix)}: it never completed, or its objects were removed`);
    await runRestore({ engine: new RedisBackup(), dataDir, storage, manifest, signal: new AbortController().signal, log: rootLogger.child({ step: "bootstrap-restore" }) });
    return `backup ${backup} (${manifest.position.summary})`;
  } finally {
    storage.client.destroy();
  }
}

export async function restoreIfNeeded(options: { podName: string; dataDir: string; restore: (dataDir: string) => Promise<string>; log: (line: string) => void }): Promise<RestoreOutcome> {
  if (ordinalOf(options.podName) !== 0) return "replica";
  if (holdsData(options.dataDir)) return "existing";
  const what = await options.restore(options.dataDir);
  if (!holdsData(options.dataDir)) throw new Error(`the restore finished but ${options.dataDir} holds no Redis data`);
  options.log(`restored ${what} into ${options.dataDir}`);
  return "restored";
}

/** `steward agent redis-restore`, registered by cli/agent.ts. */
export function redisAgentCommands(): Command[] {
  const restore = new Command("redis-restore")
    .description("Init step of a Redis cluster created from a backup: seed ordinal 0's empty data directory (not for interactive use)")
    .requiredOption("--data-dir <path>", "the data directory redis-server will start on")
    .action(async (options: { dataDir: string }) => {
      const podName = process.env.POD_NAME;
      if (!podName) throw new Error("POD_NAME is not set; the pod template provides it (operators/redis/resources/statefulset.ts)");
      const log = (line: string) => console.log(line);
      const outcome = await restoreIfNeeded({ podName, dataDir: options.dataDir, restore: (dataDir) => restoreBootstrapBackup(dataDir), log });
      if (outcome === "replica") log("not the first instance: it copies its data from the primary");
      if (outcome === "existing") log(`${options.dataDir} already holds data; nothing to restore`);
    });
  return [restore];
}
