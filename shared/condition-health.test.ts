import { describe, expect, it } from "vitest";
import { problemConditions } from "./condition-health.js";

const condition = (type: string, status: "True" | "False" | "Unknown", reason: string) => ({ type, status, reason, message: `${type} ${reason}`, lastTransitionTime: "2026-12-06T00:00:00Z" });

describe("which conditions are problems", () => {
  it("reports negative conditions when True and the others when not True", () => {
    const problems = problemConditions([condition("Ready", "False", "NotReady"), condition("Degraded", "True", "ReplicaDown"), condition("Degraded", "False", "AsExpected"), condition("Fenced", "False", "NotFenced")]);
    expect(problems.map((each) => `${each.type}/${each.reason}`)).toEqual(["Ready/NotReady", "Degraded/ReplicaDown"]);
  });

  it("does not report TLS switched off or an engine without TLS as a problem, but does report a failing renewal", () => {
    const problems = problemConditions([condition("TLS", "False", "Disabled"), condition("TLS", "False", "NotSupported"), condition("TLS", "False", "RenewalFailing"), condition("TLS", "False", "CertificateExpired")]);
    expect(problems.map((each) => each.reason)).toEqual(["RenewalFailing", "CertificateExpired"]);
  });
});
