import { describe, expect, it } from "vitest";
import { oplogArchiveCondition } from "./archive-condition.js";

const gap = { from: "2026-11-24T20:00:00Z", to: "2026-11-25T03:59:50Z", reason: "catalogue-1: the oplog rolled over before entries after 1795982400:3 were archived" };
const cluster = (status: Record<string, unknown>) => ({ metadata: { name: "catalogue" }, status });
const enabled = { backup: { storage: "s3", compression: "zstd" as const, verify: false, pointInTime: { enabled: true } } };
const off = {};

describe("oplogArchiveCondition (hand-written statuses)", () => {
  it.each([
    ["point in time off", {}, off, undefined],
    ["no gap", { pointInTime: { latest: "2026-11-25T03:59:50Z", gaps: [] } }, enabled, { status: "True", reason: "NoGaps" }],
    ["a gap to the window's end (no backup since)", { pointInTime: { latest: "2026-11-25T03:59:50Z", gaps: [gap] } }, enabled, { status: "False", reason: "GapInArchive" }],
    ["a gap closed by a later backup", { pointInTime: { latest: "2026-11-25T03:59:50Z", gaps: [{ ...gap, to: "2026-11-24T21:00:00Z" }] } }, enabled, { status: "True", reason: "BackupAfterGap" }],
  ])("%s", (_what, status, spec, expected) => {
    const condition = oplogArchiveCondition(cluster(status), spec);
    if (expected === undefined) expect(condition).toBeUndefined();
    else expect(condition).toMatchObject({ type: "OplogArchived", ...expected });
  });

  it("tells the reader what to do about a gap", () => {
    expect(oplogArchiveCondition(cluster({ pointInTime: { latest: gap.to, gaps: [gap] } }), enabled)?.message).toContain("steward backup catalogue");
  });
});
