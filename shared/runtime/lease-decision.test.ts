import { describe, expect, it } from "vitest";
import { decideLease, observeLease, releasedRecord, type ElectionState, type LeaseDecision, type LeaseObservation, type LeaseRecord } from "./lease-decision.js";

const wall = new Date("2026-01-01T10:00:00.000Z");
const stamp = "2026-01-01T10:00:00.000000Z";
const self = "operator-a";
const base: ElectionState = { self, leaseDurationMs: 15_000, renewDeadlineMs: 10_000, leading: false };
const heldBy = (holder: string, extra: Partial<LeaseRecord> = {}): LeaseRecord => ({
  holderIdentity: holder,
  leaseDurationSeconds: 15,
  acquireTime: "2026-01-01T09:00:00.000000Z",
  renewTime: "2026-01-01T09:59:58.000000Z",
  leaseTransitions: 3,
  ...extra,
});

interface Case {
  name: string;
  observation: LeaseObservation;
  state?: Partial<ElectionState>;
  nowMs: number;
  expected: LeaseDecision;
}

const cases: Case[] = [
  {
    name: "no Lease exists: create it, holding it",
    observation: { record: undefined, observedAtMs: 0 },
    nowMs: 100,
    expected: { action: "create", record: { holderIdentity: self, leaseDurationSeconds: 15, acquireTime: stamp, renewTime: stamp, leaseTransitions: 0 } },
  },
  {
    name: "a released lease (no holder) is free at once",
    observation: { record: heldBy(""), observedAtMs: 1000 },
    nowMs: 1001,
    expected: { action: "acquire", record: { holderIdentity: self, leaseDurationSeconds: 15, acquireTime: stamp, renewTime: stamp, leaseTransitions: 4 } },
  },
  {
    name: "held by another and seen changing 5 s ago: wait",
    observation: { record: heldBy("operator-b"), observedAtMs: 10_000 },
    nowMs: 15_000,
    expected: { action: "wait", holder: "operator-b", expiresInMs: 10_000 },
  },
  {
    name: "held by another, unchanged for its whole duration by our clock: expired, take it over",
    observation: { record: heldBy("operator-b"), observedAtMs: 10_000 },
    nowMs: 25_000,
    expected: { action: "acquire", record: { holderIdentity: self, leaseDurationSeconds: 15, acquireTime: stamp, renewTime: stamp, leaseTransitions: 4 } },
  },
  {
    name: "the other holder's own duration counts, not ours",
    observation: { record: heldBy("operator-b", { leaseDurationSeconds: 60 }), observedAtMs: 10_000 },
    nowMs: 25_000,
    expected: { action: "wait", holder: "operator-b", expiresInMs: 45_000 },
  },
  {
    name: "our own lease: renew it, keeping acquireTime and the transition count",
    observation: { record: heldBy(self), observedAtMs: 10_000 },
    state: { leading: true, lastRenewMs: 10_000 },
    nowMs: 12_000,
    expected: { action: "renew", record: { ...heldBy(self), renewTime: stamp } },
  },
  {
    name: "our own lease after a restart with the same identity: renew without waiting",
    observation: { record: heldBy(self), observedAtMs: 10_000 },
    nowMs: 10_001,
    expected: { action: "renew", record: { ...heldBy(self), renewTime: stamp } },
  },
  {
    name: "leading but no renew succeeded within renewDeadline: step down",
    observation: { record: heldBy(self), observedAtMs: 10_000 },
    state: { leading: true, lastRenewMs: 10_000 },
    nowMs: 20_000,
    expected: { action: "step-down", reason: "no renewal succeeded within 10000 ms" },
  },
  {
    name: "leading, but someone else now holds the lease: step down",
    observation: { record: heldBy("operator-b"), observedAtMs: 12_000 },
    state: { leading: true, lastRenewMs: 10_000 },
    nowMs: 12_500,
    expected: { action: "step-down", reason: "the lease is now held by operator-b" },
  },
];

describe("decideLease", () => {
  it.each(cases)("$name", ({ observation, state, nowMs, expected }) => {
    expect(decideLease(observation, { ...base, ...state }, nowMs, wall)).toEqual(expected);
  });

  it("rounds a sub-second lease duration up to whole seconds, as the Lease stores it", () => {
    const decision = decideLease({ observedAtMs: 0 }, { ...base, leaseDurationMs: 2500 }, 0, wall);
    expect(decision.action === "create" && decision.record.leaseDurationSeconds).toBe(3);
  });
});

describe("observeLease", () => {
  it("moves the observation time only when the record changed", () => {
    const first = observeLease(undefined, heldBy("operator-b"), 1000);
    expect(first.observedAtMs).toBe(1000);
    expect(observeLease(first, heldBy("operator-b"), 5000)).toBe(first);
    expect(observeLease(first, heldBy("operator-b", { renewTime: "2026-01-01T10:00:01.000000Z" }), 5000).observedAtMs).toBe(5000);
    expect(observeLease(first, undefined, 6000)).toEqual({ record: undefined, observedAtMs: 6000 });
  });
});

describe("releasedRecord", () => {
  it("clears the holder and keeps the transition count", () => {
    expect(releasedRecord(heldBy(self), wall)).toEqual({ holderIdentity: "", leaseDurationSeconds: 1, acquireTime: stamp, renewTime: stamp, leaseTransitions: 3 });
  });
});
