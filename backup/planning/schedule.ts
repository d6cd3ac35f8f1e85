import { CronExpressionParser } from "cron-parser";

export interface ScheduledBackupState {
  name: string;
  /** Pending or Running (or no phase yet): a backup of the cluster is in flight. */
  active: boolean;
}

export interface ScheduleInput {
  schedule: string;
  /** IANA zone the schedule is read in; default UTC. */
  timeZone?: string;
  now: Date;
  /** The due time the last scheduled backup was created for (kept on the cluster, survives retention). */
  lastScheduledFor?: Date;
  /** When scheduling started (the cluster's creation, or when a schedule was first set): nothing is due before it. */
  since: Date;
  backups: ScheduledBackupState[];
}

export type SchedulePlan =
  | { action: "create"; scheduledFor: Date; next: Date; catchUp: boolean }
  | { action: "wait"; next: Date; reason: string; due?: Date };

function parse(schedule: string, timeZone: string | undefined, currentDate: Date) {
  return CronExpressionParser.parse(schedule.replace(/\?/g, "*"), { currentDate, tz: timeZone ?? "UTC" });
}

/** The first due time strictly after `after`. */
export function nextDue(schedule: string, timeZone: string | undefined, after: Date): Date {
  return parse(schedule, timeZone, after).next().toDate();
}

/** The latest due time at or before `at`. */
export function latestDue(schedule: string, timeZone: string | undefined, at: Date): Date {
  return parse(schedule, timeZone, new Date(at.getTime() + 1)).prev().toDate();
}

/**
 * When the next scheduled backup is due, and whether to create one now. After downtime
 * only the most recent missed time is run (one catch-up, never a storm); while any backup of
 * the cluster is still in flight nothing new starts (never two at once): the due backup is
 * created once it finished, if no later due time replaced it by then.
 */
export function planSchedule(input: ScheduleInput): SchedulePlan {
  const reference = input.lastScheduledFor && input.lastScheduledFor > input.since ? input.lastScheduledFor : input.since;
  const due = latestDue(input.schedule, input.timeZone, input.now);
  const next = nextDue(input.schedule, input.timeZone, input.now);
  const isDue = due > reference && !(input.lastScheduledFor && due <= input.lastScheduledFor);
  if (!isDue) return { action: "wait", next, reason: `next backup due at ${next.toISOString()}` };
  const running = input.backups.find((backup) => backup.active);
  if (running) return { action: "wait", next, due, reason: `backup ${running.name} is still running; the backup due at ${due.toISOString()} starts when it ends` };
  const firstMissed = nextDue(input.schedule, input.timeZone, reference);
  return { action: "create", scheduledFor: due, next, catchUp: firstMissed < due };
}

/** A deterministic name per due time, so a crashed and restarted operator never creates a second backup for it. */
export function scheduledBackupName(cluster: string, scheduledFor: Date): string {
  const stamp = scheduledFor.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "").replace("T", "-").toLowerCase();
  return `${cluster}-${stamp.slice(0, 13)}`;
}
