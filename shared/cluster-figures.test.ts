import { describe, expect, it } from "vitest";
import type { DatabaseBackup, DatabaseCluster } from "./api/index.js";
import { backupAgeSeconds, lastSuccessfulBackup, pointInTimeWindow, replicationLag, scheduleIntervalSeconds } from "./cluster-figures.js";

const NOW = new Date("2026-12-06T12:00:00Z");
const backup = (name: string, phase: string, completedAt?: string) => ({ metadata: { name }, status: { phase, completedAt, startedAt: completedAt && new Date(Date.parse(completedAt) - 5000).toISOString() } }) as DatabaseBackup;
const withPitr = (pointInTime: { earliest?: string; latest?: string } | undefined, enabled = true) =>
  ({ spec: { backup: { storage: "s3", pointInTime: { enabled } } }, status: { pointInTime } }) as unknown as DatabaseCluster;

describe("cluster figures", () => {
  it("takes the newest Completed backup, ignoring Failed and running ones", () => {
    const backups = [backup("a", "Completed", "2026-12-06T03:00:00Z"), backup("b", "Failed", "2026-12-06T11:00:00Z"), backup("c", "Running"), backup("d", "Completed", "2026-12-06T09:00:00Z")];
    expect(lastSuccessfulBackup(backups)).toMatchObject({ name: "d", durationSeconds: 5 });
    expect(backupAgeSeconds(backups, NOW)).toBe(3 * 3600);
    expect(backupAgeSeconds([backup("b", "Failed", "2026-12-06T11:00:00Z")], NOW)).toBeUndefined();
  });

  it.each([
    ["0 3 * * *", 86_400],
    ["*/15 * * * *", 900],
    ["@hourly", 3600],
  ])("reads the interval of %s", (schedule, seconds) => {
    expect(scheduleIntervalSeconds(schedule, undefined, NOW)).toBe(seconds);
  });

  it("reports lag only where instances report it", () => {
    const cluster = { status: { instances: [{ name: "a-0", role: "primary", ready: true }, { name: "a-1", role: "replica", ready: true, lagSeconds: 2 }, { name: "a-2", role: "replica", ready: false, lagSeconds: 7 }] } } as DatabaseCluster;
    expect(replicationLag(cluster)).toEqual({ byInstance: [{ name: "a-1", seconds: 2 }, { name: "a-2", seconds: 7 }], maxSeconds: 7 });
    expect(replicationLag({ status: {} } as DatabaseCluster).maxSeconds).toBeUndefined();
  });

  it("measures the point-in-time window, its archive lag, and a gap when the archive does not reach past the base backup", () => {
    expect(pointInTimeWindow(withPitr({ earliest: "2026-12-06T00:00:00Z", latest: "2026-12-06T11:59:00Z" }), NOW)).toMatchObject({ enabled: true, spanSeconds: 43_140, archiveLagSeconds: 60, gap: false });
    expect(pointInTimeWindow(withPitr({ earliest: "2026-12-06T00:00:00Z" }), NOW)).toMatchObject({ gap: true, archiveLagSeconds: undefined });
    expect(pointInTimeWindow(withPitr(undefined), NOW).gap).toBe(false);
    expect(pointInTimeWindow(withPitr({ earliest: "2026-12-06T00:00:00Z" }, false), NOW)).toEqual({ enabled: false, gap: false });
  });
});
