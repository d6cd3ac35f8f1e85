import type { BackupManifest, LogSegmentManifest } from "../manifest.js";

export interface RestorableBackup {
  name: string;
  manifest: BackupManifest;
}

export interface PointInTimeInput {
  backups: RestorableBackup[];
  segments: LogSegmentManifest[];
  /** Each archiver's "archived until" (every commit before it is in S3). */
  archivedUntil: Date[];
  pointInTime: Date;
}

export type PointInTimePlan =
  | { ok: true; backup: RestorableBackup; segments: LogSegmentManifest[]; window: RecoveryWindow }
  | { ok: false; reason: string; window: RecoveryWindow };

export interface RecoveryWindow {
  earliest?: Date;
  latest?: Date;
}

/**
 * Binlog timestamps are the server's, the backup's consistency time the agent's: segments
 * this close before the backup are replayed anyway (GTID filtering skips what the dump has).
 */
const CLOCK_SLACK_MS = 60_000;

/** The span a point in time can be chosen from: the oldest base backup to the newest archived commit. */
export function recoveryWindow(backups: RestorableBackup[], segments: LogSegmentManifest[], archivedUntil: Date[]): RecoveryWindow {
  const consistent = backups.map((backup) => new Date(backup.manifest.consistentAt).getTime());
  const archived = [...archivedUntil.map((date) => date.getTime()), ...segments.flatMap((segment) => (segment.lastEventAt ? [new Date(segment.lastEventAt).getTime()] : []))];
  return {
    earliest: consistent.length > 0 ? new Date(Math.min(...consistent)) : undefined,
    latest: archived.length > 0 && consistent.length > 0 ? new Date(Math.max(...archived, Math.max(...consistent))) : undefined,
  };
}

/**
 * Which base backup and which archived log segments recover the cluster to a point in time:
 * the newest backup consistent at or before it, and every segment with transactions between
 * that backup and the point (the engine's replay stops at the point itself).
 */
export function planPointInTimeRestore(input: PointInTimeInput): PointInTimePlan {
  const window = recoveryWindow(input.backups, input.segments, input.archivedUntil);
  const target = input.pointInTime.getTime();
  const candidates = input.backups
    .filter((backup) => new Date(backup.manifest.consistentAt).getTime() <= target)
    .sort((a, b) => new Date(b.manifest.consistentAt).getTime() - new Date(a.manifest.consistentAt).getTime());
  const backup = candidates[0];
  if (!backup) {
    return {
      ok: false,
      window,
      reason: window.earliest
        ? `no Completed backup is consistent at or before ${input.pointInTime.toISOString()}; the earliest recoverable time is ${window.earliest.toISOString()}`
        : "the cluster has no Completed backup: take one (steward backup CLUSTER) before restoring to a point in time",
    };
  }
  if (!window.latest || target > window.latest.getTime()) {
    return {
      ok: false,
      window,
      reason: `the binlog archive reaches ${window.latest?.toISOString() ?? "nothing yet"}; ${input.pointInTime.toISOString()} is later. Wait for the archiver (it uploads at least every 10 s while there are writes) or choose an earlier time`,
    };
  }
  const from = new Date(backup.manifest.consistentAt).getTime() - CLOCK_SLACK_MS;
  const segments = input.segments
    .filter((segment) => segment.firstEventAt && segment.lastEventAt)
    .filter((segment) => new Date(segment.lastEventAt!).getTime() >= from && new Date(segment.firstEventAt!).getTime() <= target + 1000)
    .sort((a, b) => a.firstEventAt!.localeCompare(b.firstEventAt!) || a.segment.localeCompare(b.segment));
  return { ok: true, backup, segments, window };
}
