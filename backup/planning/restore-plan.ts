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
export const CLOCK_SLACK_MS = 60_000;

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
  const backup = baseBackupFor(input.backups, input.pointInTime);
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

/** The newest backup consistent at or before a point in time: the base a restore to it starts from. */
export function baseBackupFor<T extends { manifest: Pick<BackupManifest, "consistentAt"> }>(backups: T[], pointInTime: Date): T | undefined {
  return backups
    .filter((backup) => new Date(backup.manifest.consistentAt).getTime() <= pointInTime.getTime())
    .sort((a, b) => new Date(b.manifest.consistentAt).getTime() - new Date(a.manifest.consistentAt).getTime())[0];
}

export interface ListedSegment {
  stream: string;
  segment: string;
  /** When its manifest was stored: after its last transaction (give or take the clocks). */
  storedAt?: Date;
}

/**
 * Which segment manifests a point-in-time restore reads, per stream in log order: those stored
 * after the base backup (earlier ones hold only transactions the backup has), and each stream's
 * newest (where the recoverable window ends). The reader stops a stream once a segment starts
 * after the point in time. So the work grows with the time since the base backup, not with
 * the archive's age.
 */
export function segmentsToRead(listed: ListedSegment[], baseConsistentAt: Date): ListedSegment[][] {
  const since = baseConsistentAt.getTime() - 2 * CLOCK_SLACK_MS;
  const streams = new Map<string, ListedSegment[]>();
  for (const segment of listed) {
    const stream = streams.get(segment.stream);
    if (stream) stream.push(segment);
    else streams.set(segment.stream, [segment]);
  }
  return [...streams.keys()].sort().map((stream) => {
    const ordered = streams.get(stream)!.sort((a, b) => compareLogNames(a.segment, b.segment));
    const newest = ordered.at(-1)!;
    return ordered.filter((segment) => segment === newest || segment.storedAt === undefined || segment.storedAt.getTime() >= since);
  });
}

/** Binlog names in sequence: mysql-bin.000999 before mysql-bin.1000000 (the number outgrows its padding). */
export function compareLogNames(a: string, b: string): number {
  const number = (name: string) => /(\d+)$/.exec(name)?.[1];
  const [x, y] = [number(a), number(b)];
  if (x !== undefined && y !== undefined && a.slice(0, -x.length) === b.slice(0, -y.length)) return Number(x) - Number(y);
  return a.localeCompare(b);
}
