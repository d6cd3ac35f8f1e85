import { describe, expect, it } from "vitest";
import { describeWindow, pointInTimeRefusal, previewPointInTimeRestore, restorableBackups, windowFromStatus, type BackupFacts } from "./restore-preview.js";

const backups: BackupFacts[] = [
  { name: "b22", phase: "Completed", consistentAt: "2026-11-22T03:00:05Z" },
  { name: "b23", phase: "Completed", consistentAt: "2026-11-23T03:00:05Z" },
  { name: "b24-failed", phase: "Failed" },
  { name: "b24", phase: "Completed", consistentAt: "2026-11-24T03:00:05Z", deleting: true },
];
const window = { earliest: new Date("2026-11-22T03:00:05Z"), latest: new Date("2026-11-25T03:59:50Z") };

describe("the restore preview from the API's copy", () => {
  it("restores from Completed backups that are not being deleted", () => {
    expect(restorableBackups(backups).map((backup) => backup.name)).toEqual(["b22", "b23"]);
  });

  it("takes the window from the cluster's status; earliest falls back to the oldest restorable backup", () => {
    expect(windowFromStatus({ earliest: "2026-11-22T03:00:05Z", latest: "2026-11-25T03:59:50Z" }, [])).toEqual(window);
    expect(windowFromStatus(undefined, backups)).toEqual({ earliest: new Date("2026-11-22T03:00:05Z"), latest: undefined });
    expect(describeWindow({})).toMatch(/nothing is recoverable yet/);
    expect(describeWindow({ earliest: window.earliest })).toMatch(/has not reported how far it reaches/);
  });

  it.each([
    ["2026-11-22T03:00:05Z", "b22"],
    ["2026-11-23T03:00:04Z", "b22"],
    ["2026-11-24T12:00:00Z", "b23"],
    ["2026-11-25T03:59:50Z", "b23"],
  ])("to %s starts from %s", (time, base) => {
    const preview = previewPointInTimeRestore({ backups, window, target: new Date(time) });
    expect(preview).toMatchObject({ ok: true, base: { name: base } });
  });

  it.each([
    ["2026-11-22T03:00:04Z", /before the recoverable window \(2026-11-22T03:00:05Z \.\. 2026-11-25T03:59:50Z\)/],
    ["2026-11-25T03:59:51Z", /after the recoverable window \(2026-11-22T03:00:05Z \.\. 2026-11-25T03:59:50Z\)/],
  ])("refuses %s and says the window", (time, reason) => {
    const preview = previewPointInTimeRestore({ backups, window, target: new Date(time) });
    expect(preview.ok).toBe(false);
    expect(!preview.ok && preview.reason).toMatch(reason);
  });

  it("refuses a time inside a gap the status reports, and takes one on either side", () => {
    const gaps = [{ from: "2026-11-23T14:00:00.000Z", to: "2026-11-24T03:00:04.000Z", reason: "2 log segments of orders-0 between mysql-bin.000004 and mysql-bin.000007 never reached the archive" }];
    expect(previewPointInTimeRestore({ backups, window, gaps, target: new Date("2026-11-23T20:00:00Z") })).toMatchObject({ ok: false, reason: expect.stringMatching(/is in a gap of the window .*never reached the archive/) });
    expect(previewPointInTimeRestore({ backups, window, gaps, target: new Date("2026-11-23T14:00:00Z") })).toMatchObject({ ok: true });
    expect(previewPointInTimeRestore({ backups, window, gaps, target: new Date("2026-11-24T12:00:00Z") })).toMatchObject({ ok: true });
  });

  it("refuses when no backup is restorable, or the archive has not reported yet", () => {
    expect(previewPointInTimeRestore({ backups: [], window: {}, target: new Date() })).toMatchObject({ ok: false, reason: expect.stringMatching(/no Completed backup/) });
    expect(previewPointInTimeRestore({ backups, window: { earliest: window.earliest }, target: new Date("2026-11-23T00:00:00Z") })).toMatchObject({ ok: false, reason: expect.stringMatching(/after the recoverable window/) });
  });

  describe("a DatabaseRestore refused before anything is created", () => {
    const now = new Date("2026-11-25T04:00:00Z");
    const refusal = (time: string, extra: { gaps?: { from: string; to: string; reason: string }[] } = {}) => pointInTimeRefusal({ backups, window, target: new Date(time), now, ...extra });

    it("before the window, naming it", () => {
      expect(refusal("2001-01-01T00:00:00Z")).toMatch(/^2001-01-01T00:00:00Z is before the recoverable window \(2026-11-22T03:00:05Z \.\. 2026-11-25T03:59:50Z\)/);
    });

    it("in the future, whatever the window", () => {
      expect(refusal("2026-11-26T00:00:00Z")).toMatch(/^2026-11-26T00:00:00Z is in the future \(it is 2026-11-25T04:00:00Z now\): choose a time within the recoverable window/);
    });

    it("in a gap", () => {
      expect(refusal("2026-11-23T12:00:00Z", { gaps: [{ from: "2026-11-23T10:00:00Z", to: "2026-11-24T03:00:05Z", reason: "binlogs purged before they were archived" }] })).toMatch(/is in a gap of the window/);
    });

    it("with nothing recoverable", () => {
      expect(pointInTimeRefusal({ backups: [], window: {}, target: new Date("2026-11-25T03:00:00Z"), now })).toMatch(/nothing is recoverable yet/);
    });

    it("not inside the window, nor past its reported end up to now (the archive may be ahead of the status)", () => {
      expect(refusal("2026-11-24T12:00:00Z")).toBeUndefined();
      expect(refusal("2026-11-25T03:59:58Z")).toBeUndefined();
      expect(refusal("2026-11-25T04:00:30Z")).toBeUndefined();
    });
  });
});
