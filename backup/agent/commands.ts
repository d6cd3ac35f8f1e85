import { Command } from "commander";
import type { Compression } from "../format/compression.js";

/**
 * The backup agent's commands: their options only. What each runs is loaded when it runs
 * (`steward agent backup --help` needs neither the AWS SDK nor an engine client), and a Job
 * loads only its own command's code: the agent lives within a 128 MiB memory budget.
 */

/** The options every agent command takes to reach its engine: --engine --flavor --host --port --socket. */
export function withEngineOptions(command: Command, what = "engine"): Command {
  return command
    .option("--engine <engine>", "mysql | redis | mongodb | rabbitmq", "mysql")
    .option("--flavor <flavor>", "mysql | mariadb (engine mysql)")
    .option("--host <host>", `${what} host`)
    .option("--port <port>", `${what} port`)
    .option("--socket <path>", `${what} Unix socket`);
}

export interface EngineOptions {
  engine: string;
  flavor?: string;
  host?: string;
  port?: string;
  socket?: string;
}

export interface BackupOptions extends EngineOptions {
  namespace: string;
  cluster: string;
  backup: string;
  method: "logical" | "physical";
  compression: Compression;
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
    .action(async (options: BackupOptions) => (await import("./backup-job.js")).runBackupJob(options));
}

export interface ArchiveOptions extends EngineOptions {
  namespace: string;
  cluster: string;
  compression: Compression;
  maxSegmentAge: string;
  interval: string;
  dataDir?: string;
  once?: boolean;
}

/** The PITR sidecar's command (archive-job.ts). */
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
    .action(async (options: ArchiveOptions) => (await import("./archive-job.js")).runArchiveSidecar(options));
}

export interface RestoreOptions extends EngineOptions {
  namespace: string;
  restore?: string;
  sourceCluster: string;
  backup?: string;
  pointInTime?: string;
  replaceExisting?: boolean;
  checksumsOnly?: boolean;
  checkOnly?: boolean;
  report: boolean;
}

/** The restore Job's command (restore-commands.ts). */
function restoreCommand(): Command {
  return withEngineOptions(new Command("restore"), "target")
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
    .action(async (options: RestoreOptions) => (await import("./restore-commands.js")).runRestoreJob(options));
}

export interface VerifyOptions extends EngineOptions {
  namespace: string;
  cluster: string;
  backup: string;
  workDir?: string;
  report: boolean;
}

/** The verification Job's command: restore one backup into a throwaway instance and record the result. */
function verifyCommand(): Command {
  return withEngineOptions(new Command("verify"), "unused: the throwaway instance's")
    .description("Restore a backup into a throwaway instance, check it, and record Verified or VerificationFailed")
    .requiredOption("--namespace <namespace>", "namespace of the cluster and the DatabaseBackup")
    .requiredOption("--cluster <name>", "the cluster the backup belongs to")
    .requiredOption("--backup <name>", "the DatabaseBackup to verify")
    .option("--work-dir <path>", "where the throwaway instance keeps its data (the Job's emptyDir)")
    .option("--no-report", "do not write the result into the DatabaseBackup status")
    .action(async (options: VerifyOptions) => (await import("./restore-commands.js")).runVerifyJob(options));
}

/** `steward agent backup | restore | archive-binlogs | verify` (cli/agent.ts lists them). */
export function backupAgentCommands(): Command[] {
  return [backupCommand(), restoreCommand(), archiveCommand(), verifyCommand()];
}
