import { CronExpressionParser } from "cron-parser";
import type { DatabaseBackup, DatabaseCluster } from "./api/index.js";

/**
 * The numbers a platform team reads about one database: how old its last good backup is, how
 * far its replicas are behind, how wide its point-in-time window is. Computed here, from the
 * resources' status only, so the operator's metrics, `steward status` and the console show the
 * same figures. Engine-neutral: an engine reports lag and positions in status.instances.
 */

export interface SuccessfulBackup {
  name: string;
  completedAt: Date;
  /** completedAt - startedAt, when the backup recorded both. */
  durationSeconds?: number;
  /** Bytes stored (after compression and encryption). */
  bytes?: number;
}

function time(text: string | undefined): Date | undefined {
  if (!text) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The newest Completed backup of the list (by completion time), or undefined. */
export function lastSuccessfulBackup(backups: readonly DatabaseBackup[]): SuccessfulBackup | undefined {
  let newest: SuccessfulBackup | undefined;
  for (const backup of backups) {
    if (backup.status?.phase !== "Completed") continue;
    const completedAt = time(backup.status.completedAt);
    if (!completedAt || (newest && newest.completedAt >= completedAt)) continue;
    const startedAt = time(backup.status.startedAt);
    newest = {
      name: backup.metadata.name,
      completedAt,
      durationSeconds: startedAt ? Math.max(0, (completedAt.getTime() - startedAt.getTime()) / 1000) : undefined,
      bytes: backup.status.size,
    };
  }
  return newest;
}

/** Seconds since the last Completed backup; undefined when there is none. */
export function backupAgeSeconds(backups: readonly DatabaseBackup[], now: Date): number | undefined {
  const last = lastSuccessfulBackup(backups);
  return last ? Math.max(0, (now.getTime() - last.completedAt.getTime()) / 1000) : undefined;
}

/**
 * Seconds between two consecutive due times of a cron schedule, measured after `now` (for a
 * schedule with uneven gaps, such as "0 3 * * 1,4", the next gap: what "overdue" means now).
 */
export function scheduleIntervalSeconds(schedule: string, timeZone: string | undefined, now: Date): number {
  const due = CronExpressionParser.parse(schedule.replace(/\?/g, "*"), { currentDate: now, tz: timeZone ?? "UTC" });
  const first = due.next().toDate();
  const second = due.next().toDate();
  return (second.getTime() - first.getTime()) / 1000;
}

export interface ReplicationLag {
  /** Per instance that reported a lag (replicas; a primary reports none). */
  byInstance: { name: string; seconds: number }[];
  /** The largest of them; undefined when no instance reports lag. */
  maxSeconds?: number;
}

export function replicationLag(cluster: Pick<DatabaseCluster, "status">): ReplicationLag {
  const byInstance = (cluster.status?.instances ?? [])
    .filter((instance) => typeof instance.lagSeconds === "number" && Number.isFinite(instance.lagSeconds))
    .map((instance) => ({ name: instance.name, seconds: instance.lagSeconds! }));
  const maxSeconds = byInstance.length > 0 ? Math.max(...byInstance.map((entry) => entry.seconds)) : undefined;
  return { byInstance, maxSeconds };
}

export interface PointInTimeWindow {
  /** spec.backup.pointInTime.enabled. */
  enabled: boolean;
  /** The earliest time a restore can reach (the oldest Completed backup's consistent point). */
  start?: Date;
  /** The latest time a restore can reach (the archive's "archived until"). */
  end?: Date;
  spanSeconds?: number;
  /** now - end: how far archiving is behind. */
  archiveLagSeconds?: number;
  /**
   * A base backup exists but the archive does not reach forward from it (no archived-until
   * time): restores to a point in time cannot be made until archiving catches up.
   */
  gap: boolean;
}

export function pointInTimeWindow(cluster: Pick<DatabaseCluster, "spec" | "status">, now: Date): PointInTimeWindow {
  const enabled = cluster.spec.backup?.pointInTime?.enabled === true;
  if (!enabled) return { enabled, gap: false };
  const start = time(cluster.status?.pointInTime?.earliest);
  const end = time(cluster.status?.pointInTime?.latest);
  return {
    enabled,
    start,
    end,
    spanSeconds: start && end ? Math.max(0, (end.getTime() - start.getTime()) / 1000) : undefined,
    archiveLagSeconds: end ? Math.max(0, (now.getTime() - end.getTime()) / 1000) : undefined,
    gap: start !== undefined && end === undefined,
  };
}
