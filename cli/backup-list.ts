import { Command } from "commander";
import { planNextRetention } from "../backup/planning/retention.js";
import { describeWindow, restorableBackups, windowFromStatus, type BackupFacts } from "../backup/planning/restore-preview.js";
import { nextDue } from "../backup/planning/schedule.js";
import { databaseBackup, parseDuration, type DatabaseBackup, type DatabaseCluster } from "../shared/api/index.js";
import { RESOURCES } from "../shared/k8s/client.js";
import { isoSeconds } from "./cluster-status.js";
import { kubeconfigOption, namespaceOf, readCluster, withClient } from "./options.js";
import { cliIo, printOut, outputOption, renderTable, type OutputFormat } from "./output.js";
import { renderObjects } from "./print-objects.js";
import { formatBytes, formatDuration } from "./progress.js";

export interface BackupRowFacts extends BackupFacts {
  createdAt?: string;
  startedAt?: string;
  completedAt?: string;
  method: string;
  /** Where a Failed backup stopped: "upload: S3 UploadPart ... failed". */
  error?: string;
}

export function backupFacts(backup: DatabaseBackup): BackupRowFacts {
  const status = backup.status;
  return {
    name: backup.metadata.name,
    phase: status?.phase,
    createdAt: backup.metadata.creationTimestamp ? new Date(backup.metadata.creationTimestamp).toISOString() : undefined,
    startedAt: status?.startedAt,
    completedAt: status?.completedAt,
    consistentAt: status?.consistentAt ?? status?.completedAt,
    size: status?.size,
    method: backup.spec.method,
    verification: status?.verification?.result,
    deleting: Boolean(backup.metadata.deletionTimestamp),
    error: status?.error ? `${status.error.step}: ${status.error.message}` : undefined,
  };
}

/** The backups of one cluster, newest first. */
export function backupsOf(cluster: DatabaseCluster, backups: DatabaseBackup[]): DatabaseBackup[] {
  const time = (backup: DatabaseBackup) => backup.status?.startedAt ?? (backup.metadata.creationTimestamp ? new Date(backup.metadata.creationTimestamp).toISOString() : "");
  return backups.filter((backup) => backup.spec.cluster === cluster.metadata.name).sort((a, b) => time(b).localeCompare(time(a)) || b.metadata.name.localeCompare(a.metadata.name));
}

/**
 * What retention does to each backup: "removing" (being deleted, or due now), "removed next"
 * (when the next backup completes: at the next scheduled time, or now without a schedule), "kept".
 */
export function retentionOutlook(cluster: DatabaseCluster, backups: BackupRowFacts[], now: Date): Map<string, string> {
  const policy = cluster.spec.backup;
  const outlook = new Map<string, string>();
  const retention = policy?.retention;
  const candidates = backups.filter((backup) => !backup.deleting).map((backup) => ({ name: backup.name, phase: backup.phase, completedAt: backup.completedAt ? new Date(backup.completedAt) : undefined, createdAt: new Date(backup.createdAt ?? now) }));
  const plan =
    retention && (retention.keepLast !== undefined || retention.maxAge)
      ? planNextRetention(candidates, { keepLast: retention.keepLast, maxAgeMs: retention.maxAge ? parseDuration(retention.maxAge) : undefined }, now, policy?.schedule ? nextDue(policy.schedule, policy.timeZone, now) : now)
      : { now: [], next: [] };
  for (const backup of backups) {
    if (backup.deleting || plan.now.some((removal) => removal.name === backup.name)) outlook.set(backup.name, "removing");
    else if (plan.next.some((removal) => removal.name === backup.name)) outlook.set(backup.name, "removed next");
    else outlook.set(backup.name, backup.phase === "Completed" || backup.phase === "Failed" ? "kept" : "-");
  }
  return outlook;
}

export function renderBackups(cluster: DatabaseCluster, backups: DatabaseBackup[], now: Date, restorable = false): string {
  const facts = backups.map(backupFacts);
  const outlook = retentionOutlook(cluster, facts, now);
  const shown = restorable ? restorableBackups(facts) : facts;
  const rows = shown.map((backup) => {
    const duration = backup.startedAt && backup.completedAt ? formatDuration(new Date(backup.completedAt).getTime() - new Date(backup.startedAt).getTime()) : "-";
    return [
      backup.name,
      backup.phase ?? "Pending",
      isoSeconds(backup.startedAt),
      isoSeconds(backup.completedAt),
      duration,
      backup.size !== undefined ? formatBytes(backup.size) : "-",
      backup.method,
      backup.verification ?? (backup.phase === "Completed" ? (cluster.spec.backup?.verify ? "pending" : "not verified") : "-"),
      outlook.get(backup.name) ?? "-",
    ];
  });
  const lines = [rows.length === 0 ? `No ${restorable ? "restorable " : ""}backups of ${cluster.metadata.name}.` : renderTable(["NAME", "PHASE", "STARTED", "FINISHED", "DURATION", "SIZE", "METHOD", "VERIFIED", "RETENTION"], rows)];
  if (restorable && cluster.spec.backup?.pointInTime?.enabled) {
    lines.push("", `Point in time: ${describeWindow(windowFromStatus(cluster.status?.pointInTime, facts))} (steward restore --cluster ${cluster.metadata.name} --time T)`);
    // How far back a restore can go shrinks when retention removes the oldest backups.
    const kept = restorableBackups(facts).filter((backup) => outlook.get(backup.name) === "kept" && backup.consistentAt);
    const leaving = restorableBackups(facts).filter((backup) => outlook.get(backup.name) !== "kept").map((backup) => backup.name);
    const earliestKept = kept.map((backup) => backup.consistentAt!).sort()[0];
    if (leaving.length > 0 && earliestKept) lines.push(`After retention removes ${leaving.join(", ")}, the window starts at ${isoSeconds(earliestKept)}.`);
  }
  return lines.join("\n");
}

export function backupsCommand(): Command {
  return outputOption(kubeconfigOption(new Command("backups")))
    .description("List a cluster's backups: start and finish, size, duration, method, verification, what retention removes next")
    .argument("<cluster>", "the DatabaseCluster")
    .option("-n, --namespace <namespace>", "namespace (default: the kubeconfig's)")
    .option("--restorable", "only the backups a restore can use (Completed, not being deleted), and the point-in-time window")
    .action(async (name: string, options: { kubeconfig?: string; namespace?: string; restorable?: boolean; output: OutputFormat }) => {
      await withClient(options.kubeconfig, async (client) => {
      const namespace = namespaceOf(client, options.namespace);
      const cluster = await readCluster(client, namespace, name);
      const list = await client.list(RESOURCES.DatabaseBackup, namespace);
      const backups = backupsOf(cluster, list.items.map((item) => databaseBackup.parse(item)));
      if (options.output !== "table") {
        // The objects as the API server holds them, in the table's order.
        const raw = new Map(list.items.map((item) => [item.metadata.name, item]));
        const restorable = new Set(restorableBackups(backups.map(backupFacts)).map((backup) => backup.name));
        const shown = options.restorable ? backups.filter((backup) => restorable.has(backup.metadata.name)) : backups;
        printOut(renderObjects(options.output, shown.map((backup) => raw.get(backup.metadata.name)!)));
        return;
      }
      printOut(renderBackups(cluster, backups, cliIo().now(), options.restorable));
      });
    });
}
