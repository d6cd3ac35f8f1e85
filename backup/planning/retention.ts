import { ancestorsOf } from "./chain.js";

export interface RetentionCandidate {
  name: string;
  phase?: string;
  /** When it completed (Completed backups), else when it was created. */
  completedAt?: Date;
  createdAt: Date;
  /** Incremental backups: the backup they apply on top of (it stays while they stay). */
  parent?: string;
}

export interface RetentionPolicy {
  keepLast?: number;
  maxAgeMs?: number;
}

export interface RetentionPlan {
  keep: string[];
  remove: { name: string; reason: string }[];
}

/**
 * Which backups retention removes. Pure; the reconciler deletes what it returns.
 * - Pending and Running backups are never touched.
 * - Completed, newest first: beyond keepLast are removed; older than maxAge are removed,
 *   except the newest Completed backup, which age alone never removes (a cluster whose
 *   backups stopped keeps its last good one).
 * - Failed backups hold no data; each is removed once it is older than the oldest Completed
 *   backup kept (so recent failures stay visible until a success replaces them).
 * - A chain stays whole: every backup a kept incremental backup applies on top of is kept,
 *   whatever its age or rank (it is restored with it).
 */
export function planRetention(backups: RetentionCandidate[], policy: RetentionPolicy, now: Date): RetentionPlan {
  const time = (backup: RetentionCandidate) => (backup.completedAt ?? backup.createdAt).getTime();
  const completed = backups.filter((backup) => backup.phase === "Completed").sort((a, b) => time(b) - time(a) || b.name.localeCompare(a.name));
  const remove = new Map<string, string>();
  completed.forEach((backup, index) => {
    if (policy.keepLast !== undefined && index >= policy.keepLast) remove.set(backup.name, `beyond keepLast ${policy.keepLast} (it is number ${index + 1} newest)`);
    else if (policy.maxAgeMs !== undefined && index > 0 && now.getTime() - time(backup) > policy.maxAgeMs) remove.set(backup.name, `older than maxAge`);
  });
  const parentOf = new Map(backups.map((backup) => [backup.name, backup.parent]));
  for (const backup of completed) {
    if (remove.has(backup.name)) continue;
    for (const ancestor of ancestorsOf(backup.name, parentOf)) remove.delete(ancestor);
  }
  const kept = completed.filter((backup) => !remove.has(backup.name));
  const oldestKept = kept.at(-1);
  if (oldestKept) {
    for (const backup of backups) {
      if (backup.phase === "Failed" && time(backup) < time(oldestKept)) remove.set(backup.name, `failed, and older than the oldest backup kept (${oldestKept.name})`);
    }
  }
  return {
    keep: backups.filter((backup) => !remove.has(backup.name)).map((backup) => backup.name),
    remove: [...remove].map(([name, reason]) => ({ name, reason })),
  };
}

/**
 * What retention removes when the next backup completes at `at` (the next scheduled time, or
 * now), beyond what it removes already: the answer to "will this backup survive the next one?".
 */
export function planNextRetention(backups: RetentionCandidate[], policy: RetentionPolicy, now: Date, at: Date): { now: RetentionPlan["remove"]; next: RetentionPlan["remove"] } {
  const removeNow = planRetention(backups, policy, now).remove;
  const removedNow = new Set(removeNow.map((removal) => removal.name));
  const remaining = backups.filter((backup) => !removedNow.has(backup.name));
  // A name no backup can have (names are DNS labels): the backup that is not there yet.
  const upcoming: RetentionCandidate = { name: "_next", phase: "Completed", completedAt: at, createdAt: at };
  const next = planRetention([...remaining, upcoming], policy, at).remove.filter((removal) => removal.name !== upcoming.name);
  return { now: removeNow, next };
}
