import { describe, expect, it } from "vitest";
import { manualBackupName } from "./backup.js";
import { progressLine } from "./progress.js";
import { restoreSpecFromFlags } from "./restore.js";

describe("steward restore flags", () => {
  it.each([
    [{ backup: "b1" }, { source: { backup: "b1" }, target: {} }],
    [{ backup: "b1", to: "copy" }, { source: { backup: "b1" }, target: { newCluster: "copy" } }],
    [{ cluster: "orders", time: "2026-11-25T10:00:00Z" }, { source: { cluster: "orders", pointInTime: "2026-11-25T10:00:00Z" }, target: {} }],
    [{ cluster: "orders", time: "2026-11-25T11:00:00+01:00", inPlace: true, confirm: true }, { source: { cluster: "orders", pointInTime: "2026-11-25T10:00:00Z" }, target: { inPlace: true, confirmOverwrite: true } }],
  ])("%j", (flags, spec) => {
    expect(restoreSpecFromFlags(flags)).toEqual(spec);
  });

  it.each([
    [{}, /either --backup/],
    [{ backup: "b", cluster: "c", time: "2026-11-25T10:00:00Z" }, /either --backup/],
    [{ cluster: "c" }, /needs --time/],
    [{ cluster: "c", time: "yesterday" }, /neither RFC 3339/],
    [{ backup: "b", time: "2026-11-25T10:00:00Z" }, /--time goes with --cluster/],
    [{ backup: "b", inPlace: true }, /add --confirm/],
    [{ backup: "b", inPlace: true, confirm: true, to: "x" }, /exclude each other/],
  ])("refuses %j", (flags, message) => {
    expect(() => restoreSpecFromFlags(flags)).toThrow(message);
  });
});

describe("the progress line", () => {
  it("shows a bar when the total is known, bytes and rate otherwise", () => {
    expect(progressLine({ phase: "Running", bytes: 512 * 1024 * 1024, totalBytes: 1024 * 1024 * 1024, width: 10 })).toBe("Running    [#####.....]  50%  512.0 MiB / 1.0 GiB");
    expect(progressLine({ phase: "Running", bytes: 3 * 1024 * 1024, bytesPerSecond: 1024 * 1024 })).toBe("Running    3.0 MiB  1.0 MiB/s");
    expect(progressLine({ phase: "Pending" })).toBe("Pending  ");
  });

  it("names manual backups after the cluster and the time", () => {
    expect(manualBackupName("orders", new Date("2026-11-25T10:20:30Z"))).toBe("orders-manual-20261125-102030");
  });
});
