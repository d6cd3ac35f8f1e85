import { microTime } from "../k8s/time.js";

/**
 * The leader-election state machine of client-go's leaderelection package, as pure
 * functions over what we last saw of the Lease and our own clock. Clocks of different
 * machines are never compared: a lease counts as expired when *we* have seen no change to it
 * for its duration, measured on our monotonic clock from the moment we saw the change.
 */

/** The coordination.k8s.io/v1 Lease spec, as client-go's LeaderElectionRecord uses it. */
export interface LeaseRecord {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface LeaseObservation {
  /** The Lease's spec as last read; undefined when no Lease object exists. */
  record?: LeaseRecord;
  /** Our monotonic clock (ms) when the record last changed, or when we first saw it. */
  observedAtMs: number;
}

export interface ElectionState {
  self: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  leading: boolean;
  /** Our monotonic clock when the last successful renew (or the acquire) was sent. */
  lastRenewMs?: number;
}

export type LeaseDecision =
  | { action: "create"; record: LeaseRecord }
  | { action: "acquire"; record: LeaseRecord }
  | { action: "renew"; record: LeaseRecord }
  | { action: "wait"; holder: string; expiresInMs: number }
  | { action: "step-down"; reason: string };

function sameRecord(a: LeaseRecord | undefined, b: LeaseRecord | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    (a.holderIdentity ?? "") === (b.holderIdentity ?? "") &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    (a.leaseTransitions ?? 0) === (b.leaseTransitions ?? 0)
  );
}

/** Folds a fresh read of the Lease into what we know: the observation time moves only when the record changed. */
export function observeLease(previous: LeaseObservation | undefined, record: LeaseRecord | undefined, nowMs: number): LeaseObservation {
  if (previous && sameRecord(previous.record, record)) return previous;
  return { record, observedAtMs: nowMs };
}

/**
 * What to do next, given the Lease as observed. `wallNow` only stamps the record for people
 * reading it; every decision uses the monotonic `nowMs`.
 */
export function decideLease(observation: LeaseObservation, state: ElectionState, nowMs: number, wallNow: Date): LeaseDecision {
  // A leader that could not renew for renewDeadline steps down before anyone may take over
  // (renewDeadline < leaseDuration), so two leaders never act at once.
  if (state.leading && state.lastRenewMs !== undefined && nowMs - state.lastRenewMs >= state.renewDeadlineMs) {
    return { action: "step-down", reason: `no renewal succeeded within ${state.renewDeadlineMs} ms` };
  }
  const stamp = microTime(wallNow);
  const leaseDurationSeconds = Math.ceil(state.leaseDurationMs / 1000);
  const record = observation.record;
  if (!record) {
    return { action: "create", record: { holderIdentity: state.self, leaseDurationSeconds, acquireTime: stamp, renewTime: stamp, leaseTransitions: 0 } };
  }
  const holder = record.holderIdentity ?? "";
  if (holder !== "" && holder !== state.self) {
    const durationMs = (record.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    const expiresInMs = observation.observedAtMs + durationMs - nowMs;
    if (expiresInMs > 0) {
      if (state.leading) return { action: "step-down", reason: `the lease is now held by ${holder}` };
      return { action: "wait", holder, expiresInMs };
    }
  }
  if (holder === state.self) {
    return { action: "renew", record: { ...record, holderIdentity: state.self, leaseDurationSeconds, renewTime: stamp } };
  }
  // Free (released, or expired by our observation): take it, counting the hand-over.
  return {
    action: "acquire",
    record: { holderIdentity: state.self, leaseDurationSeconds, acquireTime: stamp, renewTime: stamp, leaseTransitions: (record.leaseTransitions ?? 0) + 1 },
  };
}

/** The record that gives the lease up: no holder, expiring at once (client-go's ReleaseOnCancel). */
export function releasedRecord(record: LeaseRecord, wallNow: Date): LeaseRecord {
  const stamp = microTime(wallNow);
  return { holderIdentity: "", leaseDurationSeconds: 1, acquireTime: stamp, renewTime: stamp, leaseTransitions: record.leaseTransitions ?? 0 };
}
