import { describe, expect, it } from "vitest";
import { expiresSoon, renewalReason, renewalTime } from "./rotation.js";

const DAY = 86_400_000;
const issued = new Date("2026-01-01T00:00:00Z");
const current = { notBefore: issued, notAfter: new Date(issued.getTime() + 90 * DAY), dnsNames: ["db-primary.ns.svc", "*.db-headless.ns.svc.cluster.local"] };
const base = { current, signedByCa: true, wantedNames: ["db-primary.ns.svc"], now: new Date(issued.getTime() + DAY) };

describe("renewalReason", () => {
  it.each([
    ["a fresh certificate is kept", base, undefined],
    ["no certificate is issued", { ...base, current: undefined }, "Missing"],
    ["another CA's certificate is replaced", { ...base, signedByCa: false }, "OtherIssuer"],
    ["a missing name is added", { ...base, wantedNames: ["db-replicas.ns.svc"] }, "NamesChanged"],
    ["at two thirds of its life it is renewed", { ...base, now: new Date(issued.getTime() + 60 * DAY) }, "Due"],
    ["just before two thirds it is kept", { ...base, now: new Date(issued.getTime() + 59 * DAY) }, undefined],
    ["a new rotate request renews", { ...base, rotateRequest: "1", rotatedFor: undefined }, "Requested"],
    ["a request already served does not", { ...base, rotateRequest: "1", rotatedFor: "1" }, undefined],
  ] as const)("%s", (_, input, reason) => {
    expect(renewalReason(input)).toBe(reason);
  });

  it("renews a 90-day certificate after 60 days and warns 14 days before expiry", () => {
    expect(renewalTime(current).toISOString()).toBe("2026-03-02T00:00:00.000Z");
    expect(expiresSoon(current.notAfter, new Date(current.notAfter.getTime() - 15 * DAY))).toBe(false);
    expect(expiresSoon(current.notAfter, new Date(current.notAfter.getTime() - 14 * DAY))).toBe(true);
  });
});
