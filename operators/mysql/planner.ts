/**
 * Decisions about roles, as pure functions of what observation saw (STYLE.md habit 7): which
 * replica to promote when the primary is gone, whether a restarted primary may take writes
 * again, which replica a switchover goes to, and what to do with an instance that is not
 * replicating from the primary. The reconciler only carries the plans out.
 */
import type { FailoverPolicy } from "../../shared/api/index.js";
import { chooseSwitchoverTargetOf, type SwitchoverPlan } from "../common/switchover-target.js";
import { formatGtid, gtidContains, gtidMissingFrom, isEmptyGtid, type GtidSet } from "./gtid.js";
import { RESEED_IO_ERRORS, RESEED_SQL_ERRORS } from "./flavor.js";

/** One instance as the planner sees it. Optional facts are absent when it did not answer. */
export interface InstanceView {
  name: string;
  ordinal: number;
  /** Answered SQL just now. */
  reachable: boolean;
  podReady: boolean;
  /** Its pod is being deleted. */
  terminating?: boolean;
  readOnly?: boolean;
  /** Transactions it applied (MariaDB: gtid_binlog_pos and gtid_slave_pos together; MySQL: gtid_executed). */
  executed?: GtidSet;
  /** Transactions it has, applied or still in the relay log. */
  received?: GtidSet;
  replication?: {
    sourceHost: string;
    ioRunning: string;
    sqlRunning: boolean;
    ioErrno: number;
    ioError: string;
    sqlErrno: number;
    sqlError: string;
    /** Over TLS; absent when unknown. */
    ssl?: boolean;
  };
  /** Transactions of its own that no primary sent it, when it has any (e.g. "0-3-12"). */
  errant?: string;
  /**
   * Whether, when last seen, its IO thread was connected to the primary (so it may have
   * acknowledged commits). Unknown counts as yes.
   */
  wasReplicating?: boolean;
}

export type FailoverPlan =
  | { action: "promote"; candidate: string; waitFor: GtidSet; reason: string }
  | { action: "wait"; reason: string };

function byPreference(a: InstanceView, b: InstanceView): number {
  const caughtUp = (view: InstanceView) => (view.executed && view.received && gtidContains(view.executed, view.received) ? 0 : 1);
  return caughtUp(a) - caughtUp(b) || Number(b.podReady) - Number(a.podReady) || a.ordinal - b.ordinal;
}

function whyNotCandidate(view: InstanceView): string | undefined {
  if (!view.reachable) return `${view.name} is unreachable`;
  if (view.terminating) return `${view.name} is being deleted`;
  // A promoted instance whose pod is not ready would be out of the primary Service, and
  // judged unhealthy (and failed over) the moment it became primary.
  if (!view.podReady) return `${view.name} is not ready`;
  if (!view.executed || !view.received) return `${view.name} did not report its GTID position`;
  if (view.errant) return `${view.name} has transactions no primary sent it (${view.errant})`;
  if (view.replication && view.replication.sqlErrno !== 0) return `${view.name} cannot apply its relay log (error ${view.replication.sqlErrno}: ${view.replication.sqlError})`;
  return undefined;
}

/**
 * The replica to promote after `failed` stopped being a usable primary.
 *
 * With dataLoss none a candidate must provably hold every acknowledged transaction. Under
 * semi-sync (wait point after sync) an acknowledged commit is in at least one replica's relay
 * log, and each replica received a prefix of the same binary log, so the replica that received
 * the most holds them all, provided every replica that could have acknowledged is asked: one
 * that is unreachable and was connected when last seen makes the plan wait.
 * With dataLoss allowed the most advanced reachable replica wins.
 * Never promoted: an unreachable, not ready or terminating instance, one with errant
 * transactions, one whose SQL thread is broken, and one that is not at least as advanced as
 * every other candidate.
 */
export function chooseFailoverCandidate(instances: InstanceView[], failed: string | undefined, dataLoss: FailoverPolicy["dataLoss"]): FailoverPlan {
  const others = instances.filter((view) => view.name !== failed);
  if (others.length === 0) return { action: "wait", reason: `no other instance exists to take over from ${failed ?? "the primary"}` };
  if (dataLoss === "none") {
    const unknown = others.filter((view) => !view.reachable && view.wasReplicating !== false);
    if (unknown.length > 0) {
      return {
        action: "wait",
        reason: `cannot prove which replica has every acknowledged write while ${unknown.map((view) => view.name).join(", ")} ${unknown.length > 1 ? "are" : "is"} unreachable (failover.dataLoss is none); waiting for ${unknown.length > 1 ? "them" : "it"} to answer`,
      };
    }
  }
  const excluded: string[] = [];
  const eligible: InstanceView[] = [];
  for (const view of others) {
    const why = whyNotCandidate(view);
    if (why) excluded.push(why);
    else eligible.push(view);
  }
  if (eligible.length === 0) return { action: "wait", reason: `no replica can be promoted: ${excluded.join("; ")}` };
  // Everything a reachable instance received counts, also from instances that cannot be
  // candidates themselves (their acknowledged writes must not be lost either).
  const known = others.filter((view) => view.reachable && view.received);
  const dominant = eligible.filter((candidate) => known.every((view) => gtidContains(candidate.received!, view.received!)));
  if (dominant.length === 0) {
    const positions = known.map((view) => `${view.name} at ${formatGtid(view.received!)}`).join(", ");
    return { action: "wait", reason: `no replica holds everything the others received (${positions}); promoting any would lose transactions` };
  }
  const candidate = [...dominant].sort(byPreference)[0]!;
  const skipped = excluded.length > 0 ? `; not eligible: ${excluded.join("; ")}` : "";
  return {
    action: "promote",
    candidate: candidate.name,
    waitFor: candidate.received!,
    reason: `${candidate.name} holds every transaction any replica received (${formatGtid(candidate.received!)})${skipped}`,
  };
}

/**
 * The current primary answers but is read-only (it restarted, or a fence was started and not
 * finished): it may take writes again only if no reachable instance received something it
 * lacks (its binary log is durable, so normally it holds the most; a primary whose volume was
 * replaced holds nothing, and then the others win).
 */
export function mayReopenPrimary(primary: InstanceView, instances: InstanceView[]): { reopen: true } | { reopen: false; reason: string } {
  if (!primary.executed) return { reopen: false, reason: `${primary.name} did not report its GTID position` };
  const ahead = instances.filter((view) => view.name !== primary.name && view.reachable && view.received && !gtidContains(primary.executed!, view.received));
  if (ahead.length === 0) return { reopen: true };
  return {
    reopen: false,
    reason: `${ahead.map((view) => view.name).join(", ")} received transactions ${primary.name} does not have (${ahead.map((view) => formatGtid(gtidMissingFrom(view.received!, primary.executed!))).join("; ")})`,
  };
}

/**
 * The replica a switchover goes to: the named one, or ("auto") the healthy replica with the
 * most transactions applied, then received, then the lowest ordinal. The target must be
 * replicating from the primary with both threads running and no errant transactions.
 * `allowed` excludes instances that are about to go (the highest ordinals when scaling in).
 */
export function chooseSwitchoverTarget(
  instances: InstanceView[],
  primary: string,
  request: string,
  allowed: (name: string) => boolean = () => true,
): SwitchoverPlan {
  return chooseSwitchoverTargetOf({
    instances,
    primary,
    request,
    allowed,
    whyNot: (view) => {
      const why = whyNotCandidate(view);
      if (why) return why;
      if (!view.replication || view.replication.ioRunning !== "Yes" || !view.replication.sqlRunning) return `${view.name} is not replicating`;
      return undefined;
    },
    // The old primary is read-only before the target is chosen to catch up, so any replicating
    // replica loses nothing; what differs is how long writes pause while the target applies
    // what it lacks. So the replica that applied the most wins, then the one that received the
    // most: a replica that just rejoined receives as fast as the others but may be applying a
    // backlog of seconds (measured: a 4.7 s pause in `npm run bench -- mysql`).
    rank: (a, b) => {
      for (const set of ["executed", "received"] as const) {
        if (!gtidContains(a[set]!, b[set]!)) return 1;
        if (!gtidContains(b[set]!, a[set]!)) return -1;
      }
      return byPreference(a, b);
    },
    best: "is the healthy replica that applied the most",
  });
}

export type ReplicaPlan =
  | { action: "none" }
  | { action: "replicate"; reason: string; formerPrimary: boolean }
  | { action: "reseed"; reason: string }
  | { action: "wait"; reason: string };

/**
 * What an instance that is not the primary needs: nothing (it replicates from the primary),
 * to be pointed at the primary, or to be copied again from it when its own history cannot
 * continue from the primary's (errant transactions, or the primary no longer has the binary
 * logs it needs). Errant transactions are never merged.
 */
export function planReplica(view: InstanceView, primary: InstanceView, primaryHost: string, wantTls = false): ReplicaPlan {
  if (!view.reachable || !view.executed) return { action: "wait", reason: `${view.name} is not reachable` };
  if (!primary.executed) return { action: "wait", reason: `the primary ${primary.name} did not report its GTID position` };
  if (view.errant) return { action: "reseed", reason: `${view.name} has transactions no primary sent it (${view.errant})` };
  const replication = view.replication;
  // A replica streaming from the primary can be a moment ahead of the primary's position as
  // observed (the two are read one after the other); only an instance that does not stream
  // from the primary is compared with it.
  const streaming = replication && replication.sourceHost === primaryHost && replication.ioErrno === 0 && replication.sqlErrno === 0;
  const missing = gtidMissingFrom(view.executed, primary.executed);
  if (!streaming && !isEmptyGtid(missing)) return { action: "reseed", reason: `${view.name} has transactions the primary ${primary.name} does not (${formatGtid(missing)})` };
  if (replication && RESEED_IO_ERRORS.has(replication.ioErrno)) return { action: "reseed", reason: `${view.name} cannot continue from its position: ${replication.ioError}` };
  if (replication && RESEED_SQL_ERRORS.has(replication.sqlErrno)) return { action: "reseed", reason: `${view.name} diverged from the primary: ${replication.sqlError}` };
  if (!replication) return { action: "replicate", reason: `${view.name} is not replicating`, formerPrimary: true };
  if (replication.sourceHost !== primaryHost) return { action: "replicate", reason: `${view.name} replicates from ${replication.sourceHost}, not from the primary`, formerPrimary: false };
  // TLS switched on (or an instance set up before it was): point it again, now over TLS.
  if (wantTls && replication.ssl === false) return { action: "replicate", reason: `${view.name} replicates without TLS`, formerPrimary: false };
  if (replication.ioRunning === "No" && replication.ioErrno === 0) return { action: "replicate", reason: `${view.name}'s replication is stopped`, formerPrimary: false };
  if (!replication.sqlRunning && replication.sqlErrno === 0) return { action: "replicate", reason: `${view.name}'s replication is stopped`, formerPrimary: false };
  return { action: "none" };
}
