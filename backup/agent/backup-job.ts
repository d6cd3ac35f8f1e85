import { rootLogger } from "../../shared/log.js";
import type { DatabaseBackupStatus } from "../../shared/api/index.js";
import { backupManifestKey, completedStatusOf } from "../manifest.js";
import { describeFailure, runBackup, step } from "../pipeline.js";
import { chooseIncrementalParent } from "../planning/chain.js";
import { listBackupManifests } from "./restore-commands.js";
import type { EngineBackup } from "../engine-backup.js";
import type { BackupOptions } from "./options.js";
import { endpointFromOptions, storageFromEnvironment } from "./environment.js";
import { StatusReporter, writeTerminationMessage } from "./reporter.js";

/** `steward agent backup`: one backup, streamed to S3, reported into the DatabaseBackup's status. */
export async function runBackupJob(options: BackupOptions, engine: EngineBackup): Promise<void> {
  const log = rootLogger.child({ agent: "backup", namespace: options.namespace, backup: options.backup });
  const reporter = StatusReporter.forBackup(options.report ? options.namespace : undefined, options.backup, log);
  const controller = new AbortController();
  process.once("SIGTERM", () => controller.abort(new Error("the backup Job was stopped (SIGTERM)")));
  const storage = storageFromEnvironment();
  const startedAt = new Date().toISOString();
  await reporter.write({ phase: "Running", startedAt } satisfies DatabaseBackupStatus);
  try {
    const cluster = { namespace: options.namespace, name: options.cluster };
    // The parent is read from the bucket (the record), not from the API: its LSNs are in its manifest.
    const parent = options.incremental ? await step("plan", async () => chooseIncrementalParent(await listBackupManifests(storage, cluster))?.manifest) : undefined;
    if (options.incremental) log.info({ parent: parent?.backup }, parent ? `Copying the changes since backup ${parent.backup}` : "No physical backup to build on yet: taking a full copy");
    const manifest = await runBackup({
      engine,
      endpoint: endpointFromOptions(options),
      storage,
      cluster: { namespace: options.namespace, name: options.cluster },
      backup: options.backup,
      method: options.method,
      parent,
      compression: options.compression,
      signal: controller.signal,
      log,
      onProgress: ({ storedBytes }) => reporter.progress({ progress: { bytes: storedBytes, updatedAt: new Date().toISOString() } }),
    });
    const result: DatabaseBackupStatus = completedStatusOf(manifest, storage.target.bucket, backupManifestKey(storage.target.prefix, { namespace: options.namespace, name: options.cluster }, options.backup));
    await reporter.finish(result as Record<string, unknown>);
    log.info({ location: result.location, size: result.size, checksum: result.checksum }, `Backup ${options.backup} completed`);
  } catch (error) {
    const { step: stepName, message } = describeFailure(error, "backup");
    writeTerminationMessage(`${stepName}: ${message}`);
    await reporter.finish({ phase: "Failed", completedAt: new Date().toISOString(), error: { step: stepName, message } });
    log.error({ step: stepName, err: message }, `Backup ${options.backup} failed`);
    process.exitCode = 1;
  } finally {
    storage.client.destroy();
  }
}
