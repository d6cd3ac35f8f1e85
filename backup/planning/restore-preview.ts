import { gapAt, type PointInTimeGap } from "./archive-gaps.js";
import { baseBackupFor, type RecoveryWindow } from "./restore-plan.js";

/**
 * What a restore will do, decided from what the Kubernetes API holds (the DatabaseBackups and
 * the cluster's status.pointInTime), before anything is created: the CLI refuses a point in time
 * outside the window here instead of leaving a Failed DatabaseRestore behind. The agent's
 * planPointInTimeRestore decides again from S3 itself; this is the same rule on the API's copy.
 */
export interface BackupFacts {
  name: string;
  phase?: string;
  /** When the backup's data is consistent (falls back to its completion time). */
  consistentAt?: string;
  size?: number;
  verification?: "Verified" | "Failed";
  deleting?: boolean;
}

/** The backups a restore can start from: Completed and not being deleted. */
export function restorableBackups<T extends BackupFacts>(backups: T[]): T[] {
  return backups.filter((backup) => backup.phase === "Completed" && !backup.deleting);
}

/** The window as the cluster's status reports it; earliest falls back to the oldest restorable backup. */
export function windowFromStatus(status: { earliest?: string; latest?: string } | undefined, backups: BackupFacts[]): RecoveryWindow {
  const oldest = restorableBackups(backups)
    .map((backup) => backup.consistentAt)
    .filter((time): time is string => Boolean(time))
    .sort()[0];
  const earliest = status?.earliest ?? oldest;
  return { earliest: earliest ? new Date(earliest) : undefined, latest: status?.latest ? new Date(status.latest) : undefined };
}

export function describeWindow(window: RecoveryWindow): string {
  if (!window.earliest) return "nothing is recoverable yet (no Completed backup)";
  if (!window.latest) return `from ${iso(window.earliest)}; the archive has not reported how far it reaches yet`;
  return `${iso(window.earliest)} .. ${iso(window.latest)}`;
}

export type PointInTimePreview =
  | { ok: true; base: BackupFacts; replayFrom: Date; target: Date; window: RecoveryWindow }
  | { ok: false; reason: string; window: RecoveryWindow };

/** The base backup and the span of archived logs a restore to `target` replays, or why it cannot be done. */
export function previewPointInTimeRestore(input: { backups: BackupFacts[]; window: RecoveryWindow; target: Date; gaps?: PointInTimeGap[] }): PointInTimePreview {
  const { window, target } = input;
  const recoverable = `the recoverable window is ${describeWindow(window)}`;
  if (!window.earliest) return { ok: false, window, reason: `${iso(target)} cannot be recovered: ${describeWindow(window)}` };
  if (target.getTime() < window.earliest.getTime()) return { ok: false, window, reason: `${iso(target)} is before the recoverable window (${describeWindow(window)}): choose a later time, or restore an older backup as it is with --backup` };
  if (!window.latest || target.getTime() > window.latest.getTime()) {
    return { ok: false, window, reason: `${iso(target)} is after the recoverable window (${describeWindow(window)}): choose an earlier time, or wait for the archiver (it uploads at least every 10 s while there are writes)` };
  }
  const gap = gapAt(input.gaps, target, window.latest);
  if (gap) return { ok: false, window, reason: `${iso(target)} is in a gap of the window (${gap.from} .. ${gap.to}): ${gap.reason}` };
  const candidates = restorableBackups(input.backups).flatMap((backup) => (backup.consistentAt ? [{ facts: backup, manifest: { consistentAt: backup.consistentAt } }] : []));
  const base = baseBackupFor(candidates, target);
  if (!base) return { ok: false, window, reason: `no Completed backup is consistent at or before ${iso(target)}; ${recoverable}` };
  return { ok: true, base: base.facts, replayFrom: new Date(base.manifest.consistentAt), target, window };
}

/** How far ahead of the operator's clock a point in time may lie and still count as "now". */
const FUTURE_SLACK_MS = 60_000;

/**
 * Whether a DatabaseRestore to `target` is refused before anything is created: nothing
 * recoverable, a time before the window, in a gap, or in the future. A time past the window's
 * reported end but not in the future is left to the restore itself, which decides from S3 (the
 * status trails the archive by up to its report interval).
 */
export function pointInTimeRefusal(input: { backups: BackupFacts[]; window: RecoveryWindow; target: Date; gaps?: PointInTimeGap[]; now: Date }): string | undefined {
  const { target, now } = input;
  if (target.getTime() > now.getTime() + FUTURE_SLACK_MS) return `${iso(target)} is in the future (it is ${iso(now)} now): choose a time within the recoverable window (${describeWindow(input.window)})`;
  const preview = previewPointInTimeRestore(input);
  if (preview.ok) return undefined;
  const { earliest, latest } = preview.window;
  const pastReportedEnd = earliest !== undefined && target.getTime() >= earliest.getTime() && (!latest || target.getTime() > latest.getTime());
  return pastReportedEnd ? undefined : preview.reason;
}

function iso(date: Date): string {
  return date.toISOString().replace(/\.000Z$/, "Z");
}
