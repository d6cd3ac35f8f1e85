import { Command } from "commander";
import { backupSupportOf, type BackupEngines, type EngineBackup } from "../engine-backup.js";
import type { ArchiveOptions, BackupOptions, EngineOptions, RestoreOptions, VerifyOptions } from "./options.js";

/** The engine's data path, loaded on demand; an unknown engine is refused with the list of known ones. */
function engineOf(engines: BackupEngines, options: EngineOptions): Promise<EngineBackup> {
  return backupSupportOf(engines, options.engine).load(options.flavor);
}

/**
 * The backup agent's commands: their options only. What each runs is loaded when it runs
 * (`steward agent backup --help` needs neither the AWS SDK nor an engine client), and a Job
 * loads only its own command's code: the agent lives within a 128 MiB memory budget.
 */

/** The options every agent command takes to reach its engine: --engine --flavor --host --port --socket. */
function withEngineOptions(command: Command, engines: BackupEngines, what = "engine"): Command {
  return command
    .requiredOption("--engine <engine>", Object.keys(engines).join(" | "))
    .option("--flavor <flavor>", "the engine's flavour, where it has several")
    .option("--host <host>", `${what} host`)
    .option("--port <port>", `${what} port`)
    .option("--socket <path>", `${what} Unix socket`)
    .option("--physical-source <host>", "physical backups: the instance whose agent streams the copy (a healthy replica when there is one)");
}



/** The backup Job's command: one backup, streamed to S3, reported into the DatabaseBackup's status. */
function backupCommand(engines: BackupEngines): Command {
  return withEngineOptions(new Command("backup"), engines)
    .description("Stream one backup of a database to S3 and write its manifest (runs in the backup Job)")
    .requiredOption("--namespace <namespace>", "namespace of the cluster and the DatabaseBackup")
    .requiredOption("--cluster <name>", "the DatabaseCluster backed up")
    .requiredOption("--backup <name>", "the DatabaseBackup (names the objects in S3)")
    .option("--method <method>", "logical | physical", "logical")
    .option("--incremental", "physical: copy only what changed since the newest Completed physical backup of the cluster")
    .option("--compression <compression>", "zstd | gzip | none", "zstd")
    .option("--no-report", "do not write progress into the DatabaseBackup status")
    .action(async (options: BackupOptions) => (await import("./backup-job.js")).runBackupJob(options, await engineOf(engines, options)));
}


/** The PITR sidecar's command (archive-job.ts). */
function archiveCommand(engines: BackupEngines): Command {
  return withEngineOptions(new Command("archive-binlogs"), engines)
    .alias("archive-logs")
    .description("Continuously archive binlogs (oplog) to S3 for point-in-time recovery (the PITR sidecar)")
    .requiredOption("--namespace <namespace>", "namespace of the cluster")
    .requiredOption("--cluster <name>", "the DatabaseCluster")
    .option("--compression <compression>", "zstd | gzip | none", "zstd")
    .option("--max-segment-age <duration>", "close the current binlog once a commit in it waited this long", "10s")
    .option("--interval <duration>", "how often to look", "1s")
    .option("--data-dir <path>", "where the engine's binlogs are (default: from the server)")
    .option("--once", "one pass, then exit (tests)")
    .action(async (options: ArchiveOptions) => (await import("./archive-job.js")).runArchiveSidecar(options, await engineOf(engines, options)));
}


/** The restore Job's command (restore-commands.ts). */
function restoreCommand(engines: BackupEngines): Command {
  return withEngineOptions(new Command("restore"), engines, "target")
    .description("Restore a backup, or a cluster to a point in time, into a running engine (runs in the restore Job)")
    .requiredOption("--namespace <namespace>", "namespace of the source cluster")
    .requiredOption("--source-cluster <name>", "the cluster whose backups and archived logs to read")
    .option("--restore <name>", "the DatabaseRestore to report into")
    .option("--backup <name>", "the backup to restore")
    .option("--point-in-time <time>", "RFC 3339 time to recover to")
    .option("--replace-existing", "remove the target's user data first (in-place restores)")
    .option("--checksums-only", "only record per-table checksums of the target (after a restore into a new cluster)")
    .option("--check-only", "only check the stored objects against their manifests (before creating a new cluster)")
    .option("--no-report", "do not write progress into the DatabaseRestore status")
    .action(async (options: RestoreOptions) => (await import("./restore-commands.js")).runRestoreJob(options, await engineOf(engines, options)));
}


/** The verification Job's command: restore one backup into a throwaway instance and record the result. */
function verifyCommand(engines: BackupEngines): Command {
  return withEngineOptions(new Command("verify"), engines, "unused: the throwaway instance's")
    .description("Restore a backup into a throwaway instance, check it, and record Verified or VerificationFailed")
    .requiredOption("--namespace <namespace>", "namespace of the cluster and the DatabaseBackup")
    .requiredOption("--cluster <name>", "the cluster the backup belongs to")
    .requiredOption("--backup <name>", "the DatabaseBackup to verify")
    .option("--work-dir <path>", "where the throwaway instance keeps its data (the Job's emptyDir)")
    .option("--no-report", "do not write the result into the DatabaseBackup status")
    .action(async (options: VerifyOptions) => (await import("./restore-commands.js")).runVerifyJob(options, await engineOf(engines, options)));
}

/** `steward agent backup | restore | archive-binlogs | verify` (cli/agent.ts lists them), for the engines of the registry. */
export function backupAgentCommands(engines: BackupEngines): Command[] {
  return [backupCommand(engines), restoreCommand(engines), archiveCommand(engines), verifyCommand(engines)];
}
