/**
 * Decisions about roles, as pure functions of what observation saw (STYLE.md habit 7): is the
 * primary usable, which replica to promote when it is not, which replica a switchover goes
 * to, what an instance that is not the primary needs, and which role label each pod should
 * carry. The reconciler only carries the plans out.
 */
import type { FailoverPolicy } from "../../shared/api/index.js";
import { chooseSwitchoverTargetOf, type SwitchoverPlan } from "../common/switchover-target.js";
import type { RedisFacts } from "./info.js";

/** One instance as the planner sees it. */
export interface RedisInstanceView {
  name: string;
  ordinal: number;
  podExists: boolean;
  podReady: boolean;
  terminating: boolean;
  /** Its current role label. */
  label?: string;
  /** Present when it answered INFO just now. */
  facts?: RedisFacts;
  /**
   * What the last status recorded (crash-safe memory across reconciles and operator
   * restarts): its replication position, and whether it was streaming from the primary.
   */
  last?: { replid: string; offset: number; streaming: boolean };
}

export function reachable(view: RedisInstanceView): view is RedisInstanceView & { facts: RedisFacts } {
  return view.facts !== undefined;
}

/** Whether a view holds (a continuation of) the replication history `lineage`. */
export function inLineage(view: RedisInstanceView, lineage: string | undefined): boolean {
  if (!lineage || !view.facts) return false;
  return view.facts.replid === lineage || view.facts.replid2 === lineage;
}

export type PrimaryHealth = { healthy: true } | { healthy: false; reason: string };

/** Whether the recorded primary serves writes: it exists, answers, and is a primary. */
export function primaryHealth(view: RedisInstanceView | undefined, name: string): PrimaryHealth {
  if (!view || !view.podExists) return { healthy: false, reason: `${name}'s pod does not exist` };
  if (view.terminating) return { healthy: false, reason: `${name} is being deleted` };
  if (!view.facts) return { healthy: false, reason: `${name} does not answer` };
  if (view.facts.loading) return { healthy: false, reason: `${name} is loading its data after a restart` };
  if (view.facts.role !== "master") return { healthy: false, reason: `${name} restarted and came back as a replica (every instance starts as one)` };
  return { healthy: true };
}

/** How long until a primary unhealthy since `since` may be failed over (0: now). */
export function failoverDelayRemainingMs(since: Date, delaySeconds: number, now: Date): number {
  return Math.max(0, since.getTime() + delaySeconds * 1000 - now.getTime());
}

export type FailoverPlan =
  | { action: "promote"; candidate: string; reason: string }
  | { action: "reopen"; reason: string }
  | { action: "wait"; reason: string };

function preference(a: RedisInstanceView, b: RedisInstanceView): number {
  return (b.facts?.offset ?? 0) - (a.facts?.offset ?? 0) || Number(b.podReady) - Number(a.podReady) || a.ordinal - b.ordinal;
}

function whyNotCandidate(view: RedisInstanceView, lineage: string | undefined): string | undefined {
  if (!view.podExists) return `${view.name} has no pod`;
  if (view.terminating) return `${view.name} is being deleted`;
  if (!view.facts) return `${view.name} does not answer`;
  if (view.facts.loading) return `${view.name} is loading its data`;
  if (view.facts.syncInProgress) return `${view.name} is in the middle of a full copy`;
  if (!inLineage(view, lineage)) return `${view.name} is not on the primary's replication history (it restarted or never finished its first copy)`;
  return undefined;
}

/**
 * What to do about a primary (`failed`) that stopped serving, on replication history
 * `lineage` (its replid when it was last seen).
 *
 * Redis replication is one stream: every replica holds a prefix of the primary's history, so
 * among replicas on that history the one with the highest offset holds everything any of them
 * received. With dataLoss none a WAIT-acknowledged write is on at least one replica, so the
 * candidate must provably hold everything every replica that may have acknowledged it holds:
 * - a replica that was streaming when last seen and does not answer could hold more: wait;
 * - a replica that restarted since (its history is gone) was at its recorded offset: the
 *   candidate must be at least there, else wait;
 * - the candidate's offset is the highest of all reachable replicas on the history.
 * A promoted candidate keeps every acknowledged write; writes the primary took that no
 * replica acknowledged may be lost (they were never acknowledged).
 *
 * When no instance is on the history any more (every one restarted: a full crash), nobody can
 * prove anything; the old primary, which had every write, resumes if it answers ("reopen"),
 * losing at most what its appendfsync had not yet written.
 *
 * With dataLoss allowed the most advanced reachable replica wins without waiting, and when
 * none is on the history any reachable replica does.
 */
export function chooseFailoverCandidate(instances: RedisInstanceView[], failed: string, lineage: string | undefined, dataLoss: FailoverPolicy["dataLoss"]): FailoverPlan {
  const others = instances.filter((view) => view.name !== failed);
  const old = instances.find((view) => view.name === failed);
  if (others.length === 0) {
    if (old && reachable(old) && !old.facts.loading) return { action: "reopen", reason: `${failed} is the only instance; it resumes as the primary with the data it has` };
    return { action: "wait", reason: `no other instance exists to take over from ${failed}` };
  }
  if (dataLoss === "none") {
    // Never recorded: it may have streamed if its pod exists (the status was lost); a pod that does not exist had no data to acknowledge with.
    const unknown = others.filter((view) => !reachable(view) && (view.last ? view.last.streaming : view.podExists));
    if (unknown.length > 0) {
      const names = unknown.map((view) => view.name).join(", ");
      return { action: "wait", reason: `cannot prove which replica has every acknowledged write while ${names} ${unknown.length > 1 ? "do" : "does"} not answer (failover.dataLoss is none); waiting for ${unknown.length > 1 ? "them" : "it"}` };
    }
  }
  const excluded: string[] = [];
  const eligible: RedisInstanceView[] = [];
  for (const view of others) {
    const why = whyNotCandidate(view, lineage);
    if (why) excluded.push(why);
    else eligible.push(view);
  }
  const onHistory = others.filter((view): view is RedisInstanceView & { facts: RedisFacts } => reachable(view) && inLineage(view, lineage));
  if (onHistory.length === 0 && old && reachable(old) && !old.facts.loading && !old.terminating) {
    return { action: "reopen", reason: `no replica is on ${failed}'s replication history any more (every instance restarted); ${failed}, which had every write, resumes as the primary` };
  }
  if (eligible.length === 0) {
    if (dataLoss === "allowed") {
      const any = others.filter((view) => reachable(view) && !view.facts!.loading && !view.terminating).sort((a, b) => a.ordinal - b.ordinal)[0];
      if (any) return { action: "promote", candidate: any.name, reason: `no replica is on ${failed}'s replication history; promoting ${any.name} with the data it has (failover.dataLoss is allowed)` };
    }
    return { action: "wait", reason: `no replica can be promoted: ${excluded.join("; ")}` };
  }
  const best = [...eligible].sort(preference)[0]!;
  const bestOffset = best.facts!.offset;
  // Everything a reachable replica on the history holds counts, also from replicas that
  // cannot be candidates themselves (a full copy in progress keeps its old data meanwhile).
  const ahead = onHistory.filter((view) => view.facts.offset > bestOffset);
  if (ahead.length > 0) {
    return { action: "wait", reason: `${ahead.map((view) => view.name).join(", ")} holds more than any eligible replica (${best.name} at offset ${bestOffset}) but cannot be promoted; waiting` };
  }
  if (dataLoss === "none") {
    const restarted = others.filter((view) => reachable(view) && !inLineage(view, lineage) && view.last?.streaming && view.last.offset > bestOffset);
    if (restarted.length > 0) {
      const described = restarted.map((view) => `${view.name} had reached offset ${view.last!.offset} before it restarted`).join("; ");
      return {
        action: "wait",
        reason: `no replica can prove it has every acknowledged write: ${best.name} is at offset ${bestOffset}, but ${described} (failover.dataLoss is none); set dataLoss: allowed or request a switchover to accept the loss`,
      };
    }
  }
  const skipped = excluded.length > 0 ? `; not eligible: ${excluded.join("; ")}` : "";
  return { action: "promote", candidate: best.name, reason: `${best.name} holds the most of ${failed}'s replication history (offset ${bestOffset})${skipped}` };
}

/**
 * The replica a switchover goes to: the named one, or ("auto") the streaming replica with the
 * highest offset, then the lowest ordinal. The target must stream from the primary (same
 * history, link up) and be ready. `allowed` excludes instances about to go (scale-in).
 */
export function chooseSwitchoverTarget(instances: RedisInstanceView[], primary: RedisInstanceView, request: string, primaryHost: (pod: string) => string, allowed: (name: string) => boolean = () => true): SwitchoverPlan {
  return chooseSwitchoverTargetOf({
    instances,
    primary: primary.name,
    request,
    allowed,
    whyNot: (view) => {
      if (!view.podReady) return `${view.name} is not ready`;
      if (!view.facts) return `${view.name} does not answer`;
      if (!isStreamingFrom(view, primary, primaryHost(primary.name))) return `${view.name} is not streaming from ${primary.name}`;
      return undefined;
    },
    rank: preference,
    best: "is the most advanced streaming replica",
  });
}

/** A replica that follows `primary` at `primaryHost`, on its history, with the link up and no copy in progress. */
export function isStreamingFrom(view: RedisInstanceView, primary: RedisInstanceView, primaryHost: string): boolean {
  const facts = view.facts;
  if (!facts || facts.role !== "slave" || facts.loading) return false;
  if (facts.masterHost !== primaryHost || !facts.linkUp || facts.syncInProgress) return false;
  return primary.facts ? facts.replid === primary.facts.replid : true;
}

export type ReplicaPlan = { action: "none" } | { action: "replicate"; reason: string } | { action: "wait"; reason: string };

/**
 * What an instance that is not the primary needs: nothing (it follows the primary), or to be
 * pointed at it. A second instance acting as a primary is pointed at the real one at once:
 * it discards what only it has (Redis resynchronises it), which is what fencing means here.
 * A copy that is in progress from the primary is left alone.
 */
export function planReplica(view: RedisInstanceView, primaryHost: string, primaryPort?: number): ReplicaPlan {
  const facts = view.facts;
  if (!facts) return { action: "wait", reason: `${view.name} does not answer` };
  if (facts.loading) return { action: "wait", reason: `${view.name} is loading its data` };
  if (facts.role === "master") return { action: "replicate", reason: `${view.name} acts as a primary beside the real one` };
  if (facts.masterHost !== primaryHost) return { action: "replicate", reason: `${view.name} replicates from ${facts.masterHost ?? "nobody"}, not from the primary` };
  // TLS switched on or off (or the primary restarted with it): follow it on the port it serves.
  if (primaryPort !== undefined && facts.masterPort !== primaryPort) return { action: "replicate", reason: `${view.name} replicates from port ${facts.masterPort ?? "?"} of the primary, not ${primaryPort}` };
  return { action: "none" };
}

/**
 * The role label each pod should carry: `primary` on the serving primary only; `replica` on
 * instances that stream from it (a replica without data, or mid-copy, would serve nothing
 * useful); none elsewhere. Instances that do not answer keep what they have (their pod's
 * readiness takes them out of the Services), except a primary label off the primary.
 */
export function desiredRoleLabel(view: RedisInstanceView, primary: RedisInstanceView | undefined, primaryHost: string | undefined, primaryServes: boolean): string | undefined | "keep" {
  if (primary && view.name === primary.name) return primaryServes ? "primary" : undefined;
  if (!view.facts) return view.label === "primary" ? undefined : "keep";
  if (primary && primaryHost && isStreamingFrom(view, primary, primaryHost)) return "replica";
  // A replica whose link just dropped keeps serving reads (replica-serve-stale-data) until it reconnects.
  if (view.label === "replica" && view.facts.role === "slave" && view.facts.masterHost === primaryHost && !view.facts.syncInProgress && !view.facts.loading) return "keep";
  return undefined;
}
