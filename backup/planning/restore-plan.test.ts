import { describe, expect, it } from "vitest";
import type { BackupManifest, LogSegmentManifest } from "../manifest.js";
import { compareLogNames, planPointInTimeRestore, recoveryWindow, segmentsToRead, type RestorableBackup } from "./restore-plan.js";

const backup = (name: string, consistentAt: string): RestorableBackup => ({ name, manifest: { consistentAt, backup: name, position: { summary: "x", gtidSet: "0-1-1" } } as unknown as BackupManifest });
const segment = (name: string, first: string | undefined, last: string | undefined): LogSegmentManifest =>
  ({ segment: name, stream: "orders-0", firstEventAt: first, lastEventAt: last } as unknown as LogSegmentManifest);

const backups = [backup("mon", "2026-11-23T03:00:00Z"), backup("tue", "2026-11-24T03:00:00Z"), backup("wed", "2026-11-25T03:00:00Z")];
const segments = [
  segment("bin.1", "2026-11-23T02:00:00Z", "2026-11-23T23:00:00Z"),
  segment("bin.2", "2026-11-23T23:00:01Z", "2026-11-24T10:00:00Z"),
  segment("bin.3", "2026-11-24T10:00:05Z", "2026-11-25T05:00:00Z"),
  segment("bin.4", "2026-11-25T05:00:10Z", "2026-11-25T09:59:50Z"),
  segment("empty", undefined, undefined),
];
const archivedUntil = [new Date("2026-11-25T10:00:00Z")];

describe("planPointInTimeRestore", () => {
  it.each([
    ["a time on Tuesday afternoon: Tuesday's backup and the binlogs from it to T", "2026-11-24T15:00:00Z", "tue", ["bin.2", "bin.3"]],
    ["exactly at a backup's consistency time: that backup", "2026-11-25T03:00:00Z", "wed", ["bin.3"]],
    ["just before it: the previous one", "2026-11-25T02:59:59Z", "tue", ["bin.2", "bin.3"]],
    ["the latest archived moment", "2026-11-25T10:00:00Z", "wed", ["bin.3", "bin.4"]],
  ])("%s", (_name, time, expectedBackup, expectedSegments) => {
    const plan = planPointInTimeRestore({ backups, segments, archivedUntil, pointInTime: new Date(time) });
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(plan.backup.name).toBe(expectedBackup);
    expect(plan.segments.map((item) => item.segment)).toEqual(expectedSegments);
  });

  it("refuses a time before the oldest backup, naming the earliest recoverable time", () => {
    const plan = planPointInTimeRestore({ backups, segments, archivedUntil, pointInTime: new Date("2026-11-20T00:00:00Z") });
    expect(plan).toMatchObject({ ok: false, reason: expect.stringMatching(/earliest recoverable time is 2026-11-23T03:00:00.000Z/) });
  });

  it("refuses a time the archive does not reach yet", () => {
    const plan = planPointInTimeRestore({ backups, segments, archivedUntil, pointInTime: new Date("2026-11-25T10:00:01Z") });
    expect(plan).toMatchObject({ ok: false, reason: expect.stringMatching(/archive reaches 2026-11-25T10:00:00.000Z/) });
  });

  it("refuses without any backup", () => {
    expect(planPointInTimeRestore({ backups: [], segments, archivedUntil, pointInTime: new Date("2026-11-24T00:00:00Z") })).toMatchObject({ ok: false, reason: expect.stringMatching(/no Completed backup/) });
  });

  it("reports the window from the oldest backup to the newest archived commit", () => {
    expect(recoveryWindow(backups, segments, archivedUntil)).toEqual({ earliest: new Date("2026-11-23T03:00:00Z"), latest: new Date("2026-11-25T10:00:00Z") });
    expect(recoveryWindow([], segments, archivedUntil)).toEqual({ earliest: undefined, latest: undefined });
  });
});

describe("segmentsToRead", () => {
  const at = (time: string) => new Date(`2026-11-25T${time}Z`);
  const listed = [
    { stream: "s1", segment: "mysql-bin.000010", storedAt: at("01:00:00") },
    { stream: "s1", segment: "mysql-bin.000011", storedAt: at("02:00:00") },
    { stream: "s1", segment: "mysql-bin.000012", storedAt: at("03:00:30") },
    { stream: "s1", segment: "mysql-bin.000013", storedAt: at("04:00:00") },
    { stream: "s2", segment: "mysql-bin.000999", storedAt: at("00:30:00") },
    { stream: "s2", segment: "mysql-bin.1000000", storedAt: at("01:00:00") },
  ];

  it("reads, per stream in log order, what was stored since the base backup (2 minutes of slack) and each stream's newest", () => {
    const read = segmentsToRead(listed, at("03:00:00"));
    expect(read.map((stream) => stream.map((segment) => segment.segment))).toEqual([["mysql-bin.000012", "mysql-bin.000013"], ["mysql-bin.1000000"]]);
    expect(segmentsToRead(listed, at("02:01:00"))[0]!.map((segment) => segment.segment)).toEqual(["mysql-bin.000011", "mysql-bin.000012", "mysql-bin.000013"]);
  });

  it("orders binlog numbers past their padding after the padded ones", () => {
    expect(["mysql-bin.1000000", "mysql-bin.000999", "mysql-bin.000002"].sort(compareLogNames)).toEqual(["mysql-bin.000002", "mysql-bin.000999", "mysql-bin.1000000"]);
  });
});
