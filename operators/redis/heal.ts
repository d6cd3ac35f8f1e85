/**
 * One heal pass of a Redis cluster, in a fixed order (each step reads the observation, never
 * which event woke the reconcile, and every step is safe to repeat):
 *  1. a promotion recorded in status.targetPrimary but not finished is completed or dropped;
 *  2. no primary yet: ordinal 0 of a new cluster becomes the primary (it may hold a restored
 *     backup); with the status lost, the one instance acting as primary is adopted;
 *  3. the primary is unhealthy (gone, silent, loading, or back as a replica after a restart):
 *     start (or keep) its clock; past failover.delaySeconds, fail over (promotion.ts);
 *  4. every other instance: pointed at the primary (a stray primary is fenced that way) and
 *     labelled for the Services;
 *  5. a renewed TLS certificate reloaded where an instance still presents the old one (tls-reload.ts);
 *  6. maintenance: switchover requests, scale-in, rolling template changes (maintenance.ts).
 */
import { describeError } from "../common/errors.js";
import { UNHEALTHY_SINCE_ANNOTATION } from "../common/heal-context.js";
import { ROLE_PRIMARY } from "../common/names.js";
import type { EngineContext, HealOutcome } from "../engine.js";
import type { RedisHealHost, RedisPrepared } from "./heal-context.js";
import type { RedisObservation } from "./observe.js";
import { RedisHealContext } from "./heal-context.js";
import { runMaintenance } from "./maintenance.js";
import { chooseFailoverCandidate, desiredRoleLabel, failoverDelayRemainingMs, planReplica } from "./planner.js";
import { executeFailover, finishPromotion, reopenPrimary, repointOthers, rereadViews } from "./promotion.js";
import { freeze, promote, replicate } from "./roles.js";
import { reloadRenewedCertificates } from "./tls-reload.js";

const WATCHING_REQUEUE_MS = 200;
const BUSY_REQUEUE_MS = 500;
const DEGRADED_REQUEUE_MS = 1000;
const HEALTHY_REQUEUE_MS = 2000;

export async function healCluster(engine: RedisHealHost, context: EngineContext, prepared: RedisPrepared, observation: RedisObservation): Promise<HealOutcome> {
  const heal = new RedisHealContext(engine, context, prepared, observation);
  const watching = await healPrimary(heal);
  const primary = heal.status.currentPrimary ?? heal.cluster.status?.currentPrimary;
  if (primary && !heal.busy && observation.primaryHealthy && primary === observation.primaryName) {
    await healReplicas(heal, primary);
    if (!heal.busy) await reloadRenewedCertificates(heal);
    if (!heal.busy) await runMaintenance(heal, primary);
  }
  const requeueAfterMs =
    watching !== undefined ? watching : heal.busy ? BUSY_REQUEUE_MS : observation.problems.length > 0 ? DEGRADED_REQUEUE_MS : HEALTHY_REQUEUE_MS;
  return { requeueAfterMs, status: heal.status };
}

function unhealthySince(heal: RedisHealContext, primary: string): Date | undefined {
  const value = heal.cluster.metadata.annotations?.[UNHEALTHY_SINCE_ANNOTATION];
  if (!value) return undefined;
  const at = value.lastIndexOf("@");
  if (at < 0 || value.slice(0, at) !== primary) return undefined;
  const date = new Date(value.slice(at + 1));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Returns a requeue delay while it watches an unhealthy primary's clock. */
async function healPrimary(heal: RedisHealContext): Promise<number | undefined> {
  const current = heal.cluster.status?.currentPrimary;
  const target = heal.cluster.status?.targetPrimary;

  if (target && target !== current) {
    const facts = heal.view(target)?.facts;
    if (facts?.role === "master" && !facts.loading) {
      // The promotion got as far as REPLICAOF NO ONE (or a FAILOVER handed over): finish it.
      await heal.withLease(() => finishPromotion(heal, current, target));
      return undefined;
    }
    // Not promoted yet: forget the target; the steps below decide afresh (same rules, same result).
    await heal.persistStatus({ targetPrimary: undefined });
  }

  if (!current || !heal.observation.primaryName) {
    await bootstrapPrimary(heal);
    return undefined;
  }

  if (heal.observation.primaryHealthy) {
    if (heal.cluster.metadata.annotations?.[UNHEALTHY_SINCE_ANNOTATION]) await heal.annotateCluster({ [UNHEALTHY_SINCE_ANNOTATION]: null });
    if (heal.roleOf(current) !== ROLE_PRIMARY) await heal.labelPrimary(current);
    return undefined;
  }

  const now = heal.now();
  let since = unhealthySince(heal, current);
  if (!since) {
    since = now;
    await heal.annotateCluster({ [UNHEALTHY_SINCE_ANNOTATION]: `${current}@${now.toISOString()}` });
  }
  const remaining = failoverDelayRemainingMs(since, heal.spec.failover.delaySeconds, now);
  if (remaining > 0) return Math.min(WATCHING_REQUEUE_MS, remaining + 5);
  await failover(heal, current, now.getTime() - since.getTime());
  return heal.busy ? undefined : DEGRADED_REQUEUE_MS;
}

async function failover(heal: RedisHealContext, failed: string, unhealthyForMs: number): Promise<void> {
  const { dataLoss } = heal.spec.failover;
  const lineage = heal.observation.lineage;
  const first = chooseFailoverCandidate(heal.views(), failed, lineage, dataLoss);
  if (first.action === "wait") return;
  await heal.withLease(async () => {
    if (first.action === "reopen") {
      await reopenPrimary(heal, failed, first.reason);
      return;
    }
    // Freeze every replica that answers, then compare offsets that can no longer move: a
    // replica still streaming from a primary that only the operator cannot reach could
    // otherwise acknowledge writes the chosen one lacks.
    for (const view of heal.views()) {
      if (view.name === failed || view.facts?.role !== "slave") continue;
      const frozen = await heal.trySession(view.name, (session) => freeze(session, heal.hostOf(view.name)));
      if (!frozen.ok) heal.log.warn({ instance: view.name }, `could not freeze ${view.name}: ${frozen.error}`);
    }
    const views = await rereadViews(heal);
    const plan = chooseFailoverCandidate(views, failed, lineage, dataLoss);
    if (plan.action === "wait") {
      heal.log.info({ reason: plan.reason }, `not failing over from ${failed} yet`);
      return;
    }
    if (plan.action === "reopen") await reopenPrimary(heal, failed, plan.reason);
    else await executeFailover(heal, { failed, candidate: plan.candidate, unhealthyForMs, reason: plan.reason, views, why: heal.observation.primaryProblem ?? `${failed} was unavailable` });
  });
}

async function bootstrapPrimary(heal: RedisHealContext): Promise<void> {
  const masters = heal.views().filter((view) => view.facts?.role === "master" && !view.facts.loading && !view.terminating);
  if (heal.cluster.status?.bootstrapped) {
    // The status lost its primary (restored from a copy of the object, edited by hand): adopt
    // the one instance acting as primary; with none or several, a person must decide.
    if (masters.length === 1) {
      const adopted = masters[0]!.name;
      await heal.labelPrimary(adopted);
      await heal.persistStatus({ currentPrimary: adopted });
      await heal.warning("PrimaryAdopted", `No primary was recorded; adopted ${adopted}, the only instance acting as one`);
      heal.busy = true;
      return;
    }
    heal.busy = true;
    heal.log.warn(`no primary is recorded and ${masters.length} instances act as one; request a switchover to name one`);
    return;
  }
  const first = heal.names.pod(0);
  const view = heal.view(first);
  if (!view?.facts || view.facts.loading || view.terminating) {
    heal.busy = true;
    return;
  }
  await heal.withLease(async () => {
    await heal.withSession(first, (session) => promote(session));
    await repointOthers(heal, first, []);
    await heal.labelPrimary(first);
    await heal.persistStatus({ currentPrimary: first, bootstrapped: true });
  });
  await heal.normal("Bootstrapped", `Made ${first} the primary of ${heal.names.cluster}${heal.spec.bootstrap ? " with the restored data" : ""}; the replicas copy its data and follow it`);
  heal.busy = true;
}

async function healReplicas(heal: RedisHealContext, primary: string): Promise<void> {
  const primaryView = heal.view(primary)!;
  const primaryHost = heal.hostOf(primary);
  for (const view of heal.views()) {
    if (view.name === primary) continue;
    try {
      if (view.facts && !view.terminating) {
        const link = heal.linkTo(primary, view.name);
        const plan = planReplica(view, primaryHost, link.port);
        if (plan.action === "replicate") {
          const wasPrimary = view.facts.role === "master";
          await heal.withSession(view.name, (session) => replicate(session, link, wasPrimary));
          if (wasPrimary) await heal.warning("Fenced", `${view.name} acted as a primary beside ${primary}; it now follows ${primary} and its clients were disconnected (what only it had is discarded)`);
          heal.busy = true;
        }
      }
      const label = desiredRoleLabel(view, primaryView, primaryHost, true);
      if (label !== "keep") await heal.setRole(view.name, label);
    } catch (error) {
      heal.log.warn({ instance: view.name }, `could not converge ${view.name}: ${describeError(error)}`);
      heal.busy = true;
    }
  }
}
