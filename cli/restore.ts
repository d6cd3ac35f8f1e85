import { Command } from "commander";
import { previewPointInTimeRestore, windowFromStatus } from "../backup/planning/restore-preview.js";
import { API_VERSION, databaseBackup, databaseRestore, type DatabaseRestore } from "../shared/api/index.js";
import { RESOURCES, type KubeClient, type KubeObject } from "../shared/k8s/client.js";
import { backupFacts, backupsOf } from "./backup-list.js";
import { isoSeconds } from "./cluster-status.js";
import { follow, followOptions, followPlan, type FollowFlags } from "./follow.js";
import { kubeconfigOption, namespaceOf, readCluster, withClient } from "./options.js";
import { CliError, cliIo, NotFoundError, outputOption, printErr, printOut, UsageError, type OutputFormat } from "./output.js";
import { renderObjects } from "./print-objects.js";
import { formatBytes, formatDuration } from "./progress.js";
import { parseRestoreTime } from "./restore-time.js";

export interface RestoreFlags {
  backup?: string;
  cluster?: string;
  time?: string;
  tz?: string;
  to?: string;
  inPlace?: boolean;
  confirm?: boolean;
}

export interface RestoreSpec {
  source: { backup: string } | { cluster: string; pointInTime: string };
  target: { newCluster?: string; inPlace?: true; confirmOverwrite?: true };
}

/** The DatabaseRestore spec the flags ask for, or why they do not make sense (a usage error). */
export function restoreSpecFromFlags(flags: RestoreFlags): RestoreSpec {
  if (Boolean(flags.backup) === Boolean(flags.cluster)) throw new UsageError("give either --backup BACKUP or --cluster CLUSTER --time T");
  if (flags.cluster && !flags.time) throw new UsageError("--cluster needs --time (RFC 3339, e.g. 2026-11-25T10:00:00Z, or a local time with --tz)");
  if (flags.backup && flags.time) throw new UsageError("--time goes with --cluster: a backup is restored as it was taken");
  if (flags.inPlace && flags.to) throw new UsageError("--to and --in-place exclude each other");
  if (flags.inPlace && !flags.confirm) throw new UsageError("--in-place replaces the cluster's current data: add --confirm to do it");
  const source = flags.backup ? { backup: flags.backup } : { cluster: flags.cluster!, pointInTime: isoSeconds(parseRestoreTime(flags.time!, flags.tz)) };
  const target: RestoreSpec["target"] = flags.inPlace ? { inPlace: true, confirmOverwrite: true } : flags.to ? { newCluster: flags.to } : {};
  return { source, target };
}

export interface RestorePlan {
  restore: KubeObject;
  lines: [string, string][];
}

/**
 * Checks a restore against what the API holds and says what it will do, before anything is
 * created: the backup exists and is Completed, the point in time is inside the recoverable
 * window, a new cluster's name is free. Refusals say what would work instead.
 */
export async function planRestore(client: KubeClient, namespace: string, name: string, spec: RestoreSpec): Promise<RestorePlan> {
  const lines: [string, string][] = [];
  let sourceCluster: string;
  if ("backup" in spec.source) {
    const raw = await client.get(RESOURCES.DatabaseBackup, namespace, spec.source.backup);
    if (!raw) throw new NotFoundError(`DatabaseBackup ${spec.source.backup} not found in namespace ${namespace} (steward backups CLUSTER --restorable lists what can be restored)`);
    const backup = backupFacts(databaseBackup.parse(raw));
    if (backup.phase !== "Completed" || backup.deleting) throw new CliError(`backup ${backup.name} is ${backup.deleting ? "being deleted" : (backup.phase ?? "Pending")}: only a Completed backup can be restored`);
    sourceCluster = databaseBackup.parse(raw).spec.cluster;
    lines.push(["Base backup", describeBackup(backup)]);
    lines.push(["Logs replayed", "none: the data as it was at the backup"]);
  } else {
    const cluster = await readCluster(client, namespace, spec.source.cluster);
    sourceCluster = cluster.metadata.name;
    if (!cluster.spec.backup?.pointInTime?.enabled) throw new CliError(`cluster ${sourceCluster} does not archive its logs (spec.backup.pointInTime.enabled is not true): restore a backup with --backup instead`);
    const backups = backupsOf(cluster, (await client.list(RESOURCES.DatabaseBackup, namespace)).items.map((item) => databaseBackup.parse(item))).map(backupFacts);
    const target = new Date(spec.source.pointInTime);
    const preview = previewPointInTimeRestore({ backups, window: windowFromStatus(cluster.status?.pointInTime, backups), target, gaps: cluster.status?.pointInTime?.gaps });
    if (!preview.ok) throw new CliError(`refused before creating anything: ${preview.reason}`);
    lines.push(["Base backup", describeBackup(preview.base)]);
    lines.push(["Logs replayed", `archived logs of ${sourceCluster} from ${isoSeconds(preview.replayFrom)} to ${isoSeconds(target)} (${formatDuration(target.getTime() - preview.replayFrom.getTime())} of writes; one-second resolution)`]);
    lines.push(["Point in time", isoSeconds(target)]);
  }
  if (spec.target.inPlace) {
    const cluster = await readCluster(client, namespace, sourceCluster);
    lines.push(["Target", `cluster ${sourceCluster} itself (in place)`]);
    lines.push(["Overwritten", `ALL current data of ${sourceCluster} (${cluster.spec.replicas} instance${cluster.spec.replicas === 1 ? "" : "s"}); writes are fenced during the restore`]);
  } else {
    const target = spec.target.newCluster ?? name;
    if (await client.get(RESOURCES.DatabaseCluster, namespace, target)) throw new CliError(`a DatabaseCluster ${target} already exists: name a new one with --to, or restore in place with --in-place --confirm`);
    lines.push(["Target", `new cluster ${target}, with the settings of ${sourceCluster} (without its backup policy)`]);
    lines.push(["Overwritten", `nothing: ${sourceCluster} is not touched`]);
  }
  const restore: KubeObject = { apiVersion: API_VERSION, kind: "DatabaseRestore", metadata: { name, namespace }, spec } as KubeObject;
  lines.push(["Resource", `DatabaseRestore ${namespace}/${name}`]);
  return { restore, lines };
}

function describeBackup(backup: ReturnType<typeof backupFacts> | { name: string; consistentAt?: string; size?: number; verification?: string }): string {
  const details = [`consistent at ${isoSeconds(backup.consistentAt)}`, backup.size !== undefined ? formatBytes(backup.size) : "", backup.verification ? backup.verification.toLowerCase() : "not verified"].filter(Boolean);
  return `${backup.name} (${details.join(", ")})`;
}

function renderPlan(plan: RestorePlan, dryRun: boolean): string {
  const width = Math.max(...plan.lines.map(([key]) => key.length)) + 2;
  return [`Restore plan${dryRun ? " (dry run: nothing was created)" : ""}`, ...plan.lines.map(([key, value]) => `  ${`${key}:`.padEnd(width)}${value}`)].join("\n");
}

/** `steward restore --backup B | --cluster C --time T [--tz Z] [--to NEW | --in-place --confirm] [--dry-run]` */
export function restoreCommand(): Command {
  return followOptions(outputOption(kubeconfigOption(new Command("restore"))))
    .description("Restore a backup or a point in time into a new cluster (default) or in place, and follow it")
    .option("-n, --namespace <namespace>", "namespace (default: the kubeconfig's)")
    .option("--backup <backup>", "the DatabaseBackup to restore")
    .option("--cluster <cluster>", "restore this cluster to --time from its backups and archived logs")
    .option("--time <time>", "point in time: RFC 3339 (2026-11-25T10:00:00Z) or a local time (2026-11-25 11:00:00) with --tz")
    .option("--tz <zone>", "IANA time zone a --time without offset is read in (Europe/Berlin, UTC, local)")
    .option("--to <cluster>", "name of the new cluster (default: the restore's name)")
    .option("--in-place", "replace the data of the source cluster (needs --confirm)")
    .option("--confirm", "confirm an in-place restore")
    .option("--name <name>", "name of the DatabaseRestore (default: restore-<time>)")
    .option("--dry-run", "check the restore and print its plan (-o yaml: the DatabaseRestore) without creating anything")
    .action(async (options: RestoreFlags & FollowFlags & { kubeconfig?: string; namespace?: string; name?: string; dryRun?: boolean; output: OutputFormat }) => {
      const spec = restoreSpecFromFlags(options);
      const following = followPlan(options);
      await withClient(options.kubeconfig, async (client) => {
        const namespace = namespaceOf(client, options.namespace);
        const name = options.name ?? `restore-${isoSeconds(cliIo().now()).replace(/[-:]/g, "").replace(/Z$/, "").replace("T", "-").toLowerCase()}`;
        const plan = await planRestore(client, namespace, name, spec);
        if (options.dryRun) {
          printOut(options.output === "table" ? renderPlan(plan, true) : renderObjects(options.output, plan.restore));
          return;
        }
        if (options.output === "table") printErr(renderPlan(plan, false));
        const created = await client.create(plan.restore);
        printErr(`Created DatabaseRestore ${namespace}/${name}`);
        if (!following.follow) {
          if (options.output !== "table") printOut(renderObjects(options.output, created));
          return;
        }
        let raw: KubeObject | undefined;
        const final = await follow<DatabaseRestore>(
          `DatabaseRestore ${name}`,
          async () => {
            raw = await client.get(RESOURCES.DatabaseRestore, namespace, name);
            return raw ? databaseRestore.parse(raw) : undefined;
          },
          (restore) => ({ phase: restore.status?.phase ?? "Pending", bytes: restore.status?.progress?.bytes, totalBytes: restore.status?.progress?.totalBytes }),
          following.timeoutMs,
        );
        if (options.output !== "table") printOut(renderObjects(options.output, raw!));
        if (final.status?.phase === "Failed") throw new CliError(`Restore ${name} failed at ${final.status.error?.step ?? "?"}: ${final.status.error?.message ?? `see kubectl describe dbr ${name}`}`);
        if (options.output === "table") printOut(`Restore ${name} completed into ${final.status?.targetCluster}; ${final.status?.verification?.tables.length ?? 0} tables checksummed (kubectl get dbr ${name} -o yaml)`);
      });
    });
}
