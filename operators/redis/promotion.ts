/**
 * Changing the primary: failover (the primary is gone) and switchover (on request, before
 * restarting or removing the primary). Both run under the cluster's promotion Lease, record
 * the target in status.targetPrimary before acting (a reconcile that dies halfway completes
 * it, heal.ts step 1), and keep one order:
 *   the old primary's role label off (the primary Service stops routing to it) -> the old
 *   primary fenced if it answers (it follows the target and loses its clients) -> the
 *   target takes writes -> the other replicas follow it -> it gets the primary label ->
 *   status and an Event.
 * At no moment does the primary Service select two pods, and the old primary is read-only
 * (when it answers) before the new one takes writes.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { UNHEALTHY_SINCE_ANNOTATION } from "../common/heal-context.js";
import type { SwitchoverResult } from "../common/maintenance.js";
import { ROLE_PRIMARY } from "../common/names.js";
import type { RedisHealContext } from "./heal-context.js";
import type { RedisFacts } from "./info.js";
import { instanceView, readInstance, type InstanceReading } from "./observe.js";
import type { RedisInstanceView } from "./planner.js";
import { fence, promote, replicate } from "./roles.js";

/** How long a switchover lets the target catch up (writes are paused meanwhile). */
export const SWITCHOVER_TIMEOUT_MS = 5_000;

/** Reads every instance again (after a freeze), keeping what the status recorded. */
export async function rereadViews(heal: RedisHealContext): Promise<RedisInstanceView[]> {
  const previous = new Map((heal.cluster.status?.instances ?? []).map((instance) => [instance.name, instance]));
  return Promise.all(
    heal.views().map(async (view) => {
      const reading = heal.reading(view.name)!;
      if (!view.podExists) return view;
      const fresh: InstanceReading = { name: view.name, pod: reading.pod, ...(await readInstance(view.name, heal.engine.endpoint(heal.context, heal.prepared, view.name))) };
      return instanceView(fresh, previous.get(view.name));
    }),
  );
}

/** Points every other instance that answers at the new primary (a failure is retried by heal). */
export async function repointOthers(heal: RedisHealContext, primary: string, except: string[], views: RedisInstanceView[] = heal.views()): Promise<void> {
  for (const view of views) {
    if (view.name === primary || except.includes(view.name) || !view.facts) continue;
    const result = await heal.trySession(view.name, (session) => replicate(session, heal.linkTo(primary, view.name), view.facts!.role === "master"));
    if (!result.ok) heal.log.warn({ instance: view.name }, `could not point ${view.name} at ${primary} yet: ${result.error}`);
  }
}

export interface FailoverRequest {
  failed: string;
  candidate: string;
  unhealthyForMs: number;
  reason: string;
  /** Why the old primary was unusable, for the Event. */
  why: string;
  views: RedisInstanceView[];
}

/** Runs under the promotion lease (heal.ts). */
export async function executeFailover(heal: RedisHealContext, request: FailoverRequest): Promise<void> {
  const started = Date.now();
  await heal.persistStatus({ targetPrimary: request.candidate });
  await heal.setRole(request.failed, undefined);
  const fenced = await heal.trySession(request.failed, (session) => fence(session, heal.linkTo(request.candidate, request.failed)));
  await heal.withSession(request.candidate, (session) => promote(session));
  // The others follow before clients arrive, so the write quorum (min-replicas-to-write) and
  // WAIT find a replica at once; they continue from the backlog (partial resynchronisation).
  await repointOthers(heal, request.candidate, [request.failed], request.views);
  await heal.labelPrimary(request.candidate);
  const seconds = Math.round(request.unhealthyForMs / 100) / 10;
  await heal.persistStatus({
    currentPrimary: request.candidate,
    targetPrimary: undefined,
    lastFailover: { from: request.failed, to: request.candidate, at: heal.now().toISOString(), reason: `${request.failed} was unavailable for ${seconds}s: ${request.why}`, durationSeconds: (request.unhealthyForMs + Date.now() - started) / 1000 },
  });
  await heal.annotateCluster({ [UNHEALTHY_SINCE_ANNOTATION]: null });
  heal.busy = true;
  const fencing = fenced.ok ? `fenced ${request.failed} and closed ${fenced.value} client connections` : `${request.failed} did not answer (${fenced.error}); it is out of the primary Service`;
  await heal.normal(
    "FailedOver",
    `Promoted ${request.candidate} to primary after ${request.failed} was unavailable for ${seconds}s (${request.why}); ${request.reason}; ${fencing}; took ${Date.now() - started} ms`,
  );
}

/** The old primary resumes (every instance restarted: it had every write). Under the lease. */
export async function reopenPrimary(heal: RedisHealContext, primary: string, reason: string): Promise<void> {
  await heal.withSession(primary, (session) => promote(session));
  await heal.labelPrimary(primary);
  await heal.annotateCluster({ [UNHEALTHY_SINCE_ANNOTATION]: null });
  heal.busy = true;
  await heal.warning("PrimaryReopened", `${primary} took writes again: ${reason}; writes its append-only file had not yet stored may be lost`);
}

/** Completes a promotion a previous pass started (status.targetPrimary is a primary already). Under the lease. */
export async function finishPromotion(heal: RedisHealContext, from: string | undefined, to: string): Promise<void> {
  if (from) {
    await heal.setRole(from, undefined);
    const facts = heal.view(from)?.facts;
    if (facts && (facts.role === "master" || facts.masterHost !== heal.hostOf(to))) await heal.trySession(from, (session) => fence(session, heal.linkTo(to, from)));
  }
  await repointOthers(heal, to, from ? [from] : []);
  await heal.labelPrimary(to);
  await heal.persistStatus({ currentPrimary: to, targetPrimary: undefined });
  await heal.annotateCluster({ [UNHEALTHY_SINCE_ANNOTATION]: null });
  heal.busy = true;
  await heal.normal("PromotionCompleted", `Completed the interrupted promotion of ${to} to primary${from ? ` (from ${from})` : ""}`);
}

async function pollFailover(heal: RedisHealContext, from: string, deadline: number): Promise<RedisFacts> {
  for (;;) {
    const facts = await heal.withSession(from, (session) => session.info());
    if (facts.failoverState === "no-failover" || Date.now() > deadline) return facts;
    await sleep(20);
  }
}

/**
 * Planned change of primary with Redis' own FAILOVER TO: the primary pauses writes, waits
 * until the target acknowledged everything, and hands over (the target promotes itself when
 * the old primary asks it for a partial resynchronisation). Nothing is lost; writes pause
 * for about one replica acknowledgement interval (replicas acknowledge once a second). If the
 * target cannot catch up in time Redis aborts and the old primary goes on, label restored.
 */
export async function executeSwitchover(heal: RedisHealContext, from: string, to: string, why: string): Promise<SwitchoverResult> {
  return heal.withLease(async () => {
    await heal.persistStatus({ targetPrimary: to });
    const started = Date.now();
    const targetHost = heal.hostOf(to);
    await heal.setRole(from, undefined);
    let after: RedisFacts;
    try {
      // The target announced the port it serves its primary on (TLS when both serve it): the same link, reversed.
      await heal.withSession(from, (session) => session.failoverTo(heal.linkTo(to, from), SWITCHOVER_TIMEOUT_MS));
      after = await pollFailover(heal, from, Date.now() + SWITCHOVER_TIMEOUT_MS + 3_000);
    } catch (error) {
      await heal.setRole(from, ROLE_PRIMARY);
      await heal.persistStatus({ targetPrimary: undefined });
      return { ok: false, message: `Switchover from ${from} to ${to} failed and ${from} stays primary: ${error instanceof Error ? error.message : String(error)}` };
    }
    if (after.role !== "slave" || after.masterHost !== targetHost) {
      await heal.setRole(from, ROLE_PRIMARY);
      await heal.persistStatus({ targetPrimary: undefined });
      return { ok: false, message: `Switchover from ${from} to ${to} did not complete (Redis aborted FAILOVER: ${to} did not catch up within ${SWITCHOVER_TIMEOUT_MS} ms); ${from} stays primary` };
    }
    // Its clients would otherwise keep writing into a replica (READONLY); they reconnect through the Service.
    await heal.trySession(from, (session) => session.killClients());
    await heal.labelPrimary(to);
    const pauseMs = Date.now() - started;
    await repointOthers(heal, to, [from]);
    await heal.persistStatus({ currentPrimary: to, targetPrimary: undefined });
    heal.busy = true;
    return { ok: true, message: `Switched the primary from ${from} to ${to} (${why}); writes paused for ${pauseMs} ms`, pauseMs };
  });
}
