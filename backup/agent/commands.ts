import { Command } from "commander";
import { rootLogger } from "../../shared/log.js";
import type { DatabaseBackupStatus } from "../../shared/api/index.js";
import { parseDuration } from "../../shared/api/index.js";
import type { Compression } from "../format/compression.js";
import { LogArchiver } from "../log-archive.js";
import { backupManifestKey, completedStatusOf } from "../manifest.js";
import { describeFailure, runBackup } from "../pipeline.js";
import { endpointFromOptions, engineBackupFor, storageFromEnvironment, withEngineOptions } from "./environment.js";
import { StatusReporter, writeTerminationMessage } from "./reporter.js";
import { restoreCommand, verifyCommand } from "./restore-commands.js";
import { registerMysqlBackup } from "../../operators/mysql/backup/hooks.js";

interface BackupOptions {
  namespace: string;
  cluster: string;
  backup: string;
  engine: string;
  flavor?: string;
  method: "logical" | "physical";
  compression: Compression;
  host?: string;
  port?: string;
  socket?: string;
  report: boolean;
}

/** The backup Job's command: one backup, streamed to S3, reported into the DatabaseBackup's status. */
function backupCommand(): Command {
  return withEngineOptions(new Command("backup"))
    .description("Stream one backup of a database to S3 and write its manifest (runs in the backup Job)")
    .requiredOption("--namespace <namespace>", "namespace of the cluster and the DatabaseBackup")
    .requiredOption("--cluster <name>", "the DatabaseCluster backed up")
    .requiredOption("--backup <name>", "the DatabaseBackup (names the objects in S3)")
    .option("--method <method>", "logical | physical", "logical")
    .option("--compression <compression>", "zstd | gzip | none", "zstd")
    .option("--no-report", "do not write progress into the DatabaseBackup status")
    .action(async (options: BackupOptions) => {
      const log = rootLogger.child({ agent: "backup", namespace: options.namespace, backup: options.backup });
      const reporter = StatusReporter.forBackup(options.report ? options.namespace : undefined, options.backup, log);
      const controller = new AbortController();
      process.once("SIGTERM", () => controller.abort(new Error("the backup Job was stopped (SIGTERM)")));
      const storage = storageFromEnvironment();
      const startedAt = new Date().toISOString();
      await reporter.write({ phase: "Running", startedAt } satisfies DatabaseBackupStatus);
      try {
        const manifest = await runBackup({
          engine: engineBackupFor(options.engine, options.flavor),
          endpoint: endpointFromOptions(options),
          storage,
          cluster: { namespace: options.namespace, name: options.cluster },
          backup: options.backup,
          method: options.method,
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
    });
}

interface ArchiveOptions {
  namespace: string;
  cluster: string;
  engine: string;
  compression: Compression;
  maxSegmentAge: string;
  interval: string;
  host?: string;
  port?: string;
  socket?: string;
  dataDir?: string;
  once?: boolean;
}

/**
 * The PITR sidecar: archives the engine's closed log segments to S3, closing the current one
 * once a commit in it has waited --max-segment-age. S3 outages are retried; segments wait on
 * the volume meanwhile. On SIGTERM it closes and uploads what it can before it exits.
 */
function archiveCommand(): Command {
  return withEngineOptions(new Command("archive-binlogs"))
    .alias("archive-logs")
    .description("Continuously archive binlogs (oplog) to S3 for point-in-time recovery (the PITR sidecar)")
    .requiredOption("--namespace <namespace>", "namespace of the cluster")
    .requiredOption("--cluster <name>", "the DatabaseCluster")
    .option("--compression <compression>", "zstd | gzip | none", "zstd")
    .option("--max-segment-age <duration>", "close the current binlog once a commit in it waited this long", "10s")
    .option("--interval <duration>", "how often to look", "1s")
    .option("--data-dir <path>", "where the engine's binlogs are (default: from the server)")
    .option("--once", "one pass, then exit (tests)")
    .action(async (options: ArchiveOptions) => {
      const log = rootLogger.child({ agent: "archiver", namespace: options.namespace, cluster: options.cluster });
      const engine = engineBackupFor(options.engine);
      if (!engine.pointInTime) throw new Error(`engine ${options.engine} has no point-in-time recovery`);
      const storage = storageFromEnvironment();
      const endpoint = endpointFromOptions(options);
      const maxSegmentAgeMs = parseDuration(options.maxSegmentAge);
      const intervalMs = parseDuration(options.interval);
      let stopping = false;
      process.once("SIGTERM", () => (stopping = true));
      let archiver: LogArchiver | undefined;
      let failures = 0;
      for (;;) {
        try {
          archiver ??= new LogArchiver(await engine.pointInTime.logSource(endpoint, { dataDir: options.dataDir, log }), {
            engine: options.engine,
            storage,
            cluster: { namespace: options.namespace, name: options.cluster },
            compression: options.compression,
            maxSegmentAgeMs,
            log,
          });
          await archiver.pass(stopping ? { maxSegmentAgeMs: 0 } : {});
          if (failures > 0) log.info({ after: failures }, "Archiving works again");
          failures = 0;
        } catch (error) {
          failures++;
          // Logged on the first failure and then every minute, not every second.
          if (failures === 1 || failures % 60 === 0) log.warn({ err: (error as Error).message, failures }, "Archiving failed; retrying (binlogs wait on the volume)");
          archiver = undefined;
        }
        if (options.once || stopping) break;
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
      storage.client.destroy();
    });
}

/** `steward agent backup | restore | archive-binlogs | verify`: registered by cli/agent.ts. */
export function backupAgentCommands(): Command[] {
  registerMysqlBackup(); // the mysql-init step restores spec.bootstrap through this hook
  return [backupCommand(), restoreCommand(), archiveCommand(), verifyCommand()];
}
