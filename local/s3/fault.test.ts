import { describe, expect, it } from "vitest";
import { faultApplies, faultRequestFromCli, s3ErrorBody } from "./fault.js";

describe("S3 faults", () => {
  it("apply within their rate and until they expire, and never for none or a missing bucket", () => {
    const errors = { fault: { mode: "errors" as const, status: 503 as const }, rate: 0.5 };
    expect(faultApplies(errors, 0, 0.49)).toBe(true);
    expect(faultApplies(errors, 0, 0.5)).toBe(false);
    expect(faultApplies({ ...errors, rate: 1, untilMs: 1000 }, 999, 0.9)).toBe(true);
    expect(faultApplies({ ...errors, rate: 1, untilMs: 1000 }, 1000, 0)).toBe(false);
    expect(faultApplies({ fault: { mode: "none" }, rate: 1 }, 0, 0)).toBe(false);
    expect(faultApplies({ fault: { mode: "missing-bucket" }, rate: 1 }, 0, 0)).toBe(false);
  });

  it("read the CLI's words, and name what is wrong", () => {
    expect(faultRequestFromCli("slow", { delay: "20", for: "60" })).toEqual({ fault: { mode: "slow", delayMs: 20_000 }, rate: 1, forSeconds: 60 });
    expect(faultRequestFromCli("errors", {})).toEqual({ fault: { mode: "errors", status: 503 }, rate: 1 });
    expect(faultRequestFromCli("drop", { afterBytes: "0", rate: "0.25" })).toEqual({ fault: { mode: "drop", afterBytes: 0 }, rate: 0.25 });
    expect(() => faultRequestFromCli("errors", { status: "404" })).toThrow(/fault\.status/);
    expect(() => faultRequestFromCli("flaky", {})).toThrow(/unknown S3 fault "flaky": use stop, start, errors, drop, slow, missing-bucket or clear/);
    expect(() => faultRequestFromCli("slow", { delay: "soon" })).toThrow(/--delay must be a number/);
    expect(() => faultRequestFromCli("errors", { rate: "2" })).toThrow(/rate/);
  });

  it("answer errors with the code an SDK retries on", () => {
    expect(s3ErrorBody(503, "/steward/a<b")).toContain("<Code>SlowDown</Code>");
    expect(s3ErrorBody(500, "/x")).toContain("<Code>InternalError</Code>");
    expect(s3ErrorBody(503, "/steward/a<b")).toContain("<Resource>/steward/ab</Resource>");
  });
});
