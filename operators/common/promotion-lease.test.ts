import { describe, expect, it } from "vitest";
import { mayTakeLease } from "./promotion-lease.js";

const now = new Date("2026-11-25T10:00:30Z");

describe("the promotion lease", () => {
  it.each([
    ["free", undefined, true],
    ["released", { holderIdentity: null }, true],
    ["ours", { holderIdentity: "me", renewTime: "2026-11-25T10:00:29.000000Z", leaseDurationSeconds: 15 }, true],
    ["held by another, fresh", { holderIdentity: "other", renewTime: "2026-11-25T10:00:20.000000Z", leaseDurationSeconds: 15 }, false],
    ["held by another, expired", { holderIdentity: "other", renewTime: "2026-11-25T10:00:10.000000Z", leaseDurationSeconds: 15 }, true],
  ])("%s: may take it = %s", (_title, spec, expected) => {
    expect(mayTakeLease(spec, "me", now)).toBe(expected);
  });
});
