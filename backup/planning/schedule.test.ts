import { describe, expect, it } from "vitest";
import { latestDue, nextDue, planSchedule, scheduledBackupName, type ScheduleInput } from "./schedule.js";

const at = (text: string) => new Date(text);
const base: Omit<ScheduleInput, "now"> = { schedule: "0 3 * * *", since: at("2026-11-01T00:00:00Z"), backups: [] };

describe("planSchedule", () => {
  it.each([
    // [case, input overrides, expected action, expected scheduledFor or next]
    ["nothing due before the first time after creation", { now: at("2026-11-01T02:59:00Z") }, "wait", "2026-11-01T03:00:00.000Z"],
    ["due exactly at the time", { now: at("2026-11-01T03:00:00Z") }, "create", "2026-11-01T03:00:00.000Z"],
    ["due a little after the time", { now: at("2026-11-01T03:00:30Z") }, "create", "2026-11-01T03:00:00.000Z"],
    ["already created for this time", { now: at("2026-11-01T03:05:00Z"), lastScheduledFor: at("2026-11-01T03:00:00Z") }, "wait", "2026-11-02T03:00:00.000Z"],
    ["after 3 days of downtime: one catch-up, for the latest time", { now: at("2026-11-05T12:00:00Z"), lastScheduledFor: at("2026-11-02T03:00:00Z") }, "create", "2026-11-05T03:00:00.000Z"],
    ["a running backup holds the due one back", { now: at("2026-11-01T03:00:10Z"), backups: [{ name: "manual", active: true }] }, "wait", "2026-11-02T03:00:00.000Z"],
    ["finished backups do not hold it back", { now: at("2026-11-01T03:00:10Z"), backups: [{ name: "old", active: false }] }, "create", "2026-11-01T03:00:00.000Z"],
    ["a time zone moves the due time", { now: at("2026-11-01T02:30:00Z"), timeZone: "Europe/Berlin" }, "create", "2026-11-01T02:00:00.000Z"],
    ["a cluster created after today's time waits for tomorrow", { now: at("2026-11-01T05:00:00Z"), since: at("2026-11-01T04:00:00Z") }, "wait", "2026-11-02T03:00:00.000Z"],
  ] as const)("%s", (_name, overrides, action, expected) => {
    const plan = planSchedule({ ...base, ...(overrides as Partial<ScheduleInput>), now: (overrides as { now: Date }).now });
    expect(plan.action).toBe(action);
    if (plan.action === "create") expect(plan.scheduledFor.toISOString()).toBe(expected);
    else expect(plan.next.toISOString()).toBe(expected);
  });

  it("marks a catch-up only when times were missed", () => {
    const missed = planSchedule({ ...base, now: at("2026-11-05T12:00:00Z"), lastScheduledFor: at("2026-11-02T03:00:00Z") });
    const onTime = planSchedule({ ...base, now: at("2026-11-03T03:00:01Z"), lastScheduledFor: at("2026-11-02T03:00:00Z") });
    expect(missed.action === "create" && missed.catchUp).toBe(true);
    expect(onTime.action === "create" && onTime.catchUp).toBe(false);
  });

  it("says why it waits when a backup is running", () => {
    const plan = planSchedule({ ...base, now: at("2026-11-01T03:00:10Z"), backups: [{ name: "orders-x", active: true }] });
    expect(plan.action === "wait" && plan.reason).toMatch(/orders-x is still running/);
  });

  it("handles every-15-minutes schedules and macros", () => {
    expect(nextDue("*/15 * * * *", undefined, at("2026-11-01T10:07:00Z")).toISOString()).toBe("2026-11-01T10:15:00.000Z");
    expect(latestDue("@hourly", undefined, at("2026-11-01T10:07:00Z")).toISOString()).toBe("2026-11-01T10:00:00.000Z");
    expect(latestDue("0 0 ? * 7", undefined, at("2026-11-04T10:07:00Z")).toISOString()).toBe("2026-11-01T00:00:00.000Z");
  });

  it("names scheduled backups deterministically per due time", () => {
    expect(scheduledBackupName("orders", at("2026-11-01T03:00:00Z"))).toBe("orders-20261101-0300");
    expect(scheduledBackupName("orders", at("2026-11-01T03:00:00Z"))).toBe(scheduledBackupName("orders", at("2026-11-01T03:00:00.000Z")));
  });
});
