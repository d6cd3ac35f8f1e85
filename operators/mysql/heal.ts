/**
 * One heal pass of a MySQL cluster, in a fixed order (each step reads the observation, never
 * which event woke the reconcile, and every step is safe to repeat):
 *  1. a promotion recorded in status.targetPrimary but not finished is resumed or dropped;
 *  2. no primary yet: ordinal 0 of a new cluster becomes primary (or, status lost, an election);
 *  3. the primary is unhealthy: start (or keep) its clock; past failover.delaySeconds, fail over;
 *     it answers but is read-only (it restarted): reopen it, unless another instance holds more;
 *  4. every other instance: fenced if writable, then pointed at the primary, or re-seeded;
 *  5. maintenance: switchover requests, scale-in, rolling template changes, volume growth.
 */
import { describeError } from "../common/errors.js";
import { UNHEALTHY_SINCE_ANNOTATION } from "../common/heal-context.js";
import { ROLE_PRIMARY, ROLE_REPLICA } from "../common/names.js";
import type { EngineContext, HealOutcome } from "../engine.js";
import { isEmptyGtid } from "./gtid.js";
import { HealContext, type MysqlHealHost, type MysqlObservation, type MysqlPrepared } from "./heal-context.js";
import { runMaintenance } from "./maintenance.js";
import { MYSQL_PORT } from "./names.js";
import { reloadRenewedCertificates } from "./tls-reload.js";
import { instanceView, replicationWords } from "./observe.js";
import { chooseFailoverCandidate, mayReopenPrimary, planReplica } from "./planner.js";
import { executeFailover, fenceInstance } from "./promotion.js";
import { reopenPrimary, replicateFrom } from "./roles.js";
import { ensureApplicationAccount } from "./users.js";

const FAST_REQUEUE_MS = 500;
const DEGRADED_REQUEUE_MS = 1000;
const HEALTHY_REQUEUE_MS = 2000;

export async function healCluster(engine: MysqlHealHost, context: EngineContext, prepared: MysqlPrepared, observation: MysqlObservation): Promise<HealOutcome> {
  const heal = new HealContext(engine, context, prepared, observation);
  await healPrimary(heal);
  const primary = heal.status.currentPrimary ?? heal.cluster.status?.currentPrimary;
  if (primary && !heal.busy && isServing(heal, primary)) {
    await ensureAccounts(heal, primary);
    await healReplicas(heal, primary);
    if (!heal.busy) await runMaintenance(heal, primary);
    if (!heal.busy) await reloadRenewedCertificates(heal);
  }
  const requeueAfterMs = heal.busy ? FAST_REQUEUE_MS : heal.problems.length > 0 || observation.problems.length > 0 ? DEGRADED_REQUEUE_MS : HEALTHY_REQUEUE_MS;
  // What heal found or waits for belongs in the status the controller writes from this
  // observation (Degraded's message), so it joins the observation's problems.
  observation.problems.push(...heal.problems);
  return { requeueAfterMs, status: heal.status };
}

/** Answers, is ready, is not being deleted. */
function isHealthy(heal: HealContext, name: string): boolean {
  const detail = heal.details.get(name);
  return Boolean(detail && detail.view.reachable && detail.pod.ready && !detail.pod.terminating);
}

function isServing(heal: HealContext, name: string): boolean {
  const view = heal.view(name);
  return isHealthy(heal, name) && view?.readOnly === false;
}

export interface UnhealthyRecord {
  primary: string;
  since: Date;
  /** Replicas that streamed from the primary when it was last seen healthy: only they can have acknowledged its last commits. */
  streaming: string[];
}

/** `<primary>@<ISO time>|<replica>,<replica>`: the annotation that keeps the failover clock across operator restarts. */
export function formatUnhealthy(record: UnhealthyRecord): string {
  return `${record.primary}@${record.since.toISOString()}|${record.streaming.join(",")}`;
}

export function parseUnhealthy(value: string | undefined): UnhealthyRecord | undefined {
  const match = /^([^@|]+)@([^|]+)(?:\|(.*))?$/.exec(value ?? "");
  if (!match) return undefined;
  const since = new Date(match[2]!);
  if (Number.isNaN(since.getTime())) return undefined;
  return { primary: match[1]!, since, streaming: (match[3] ?? "").split(",").filter(Boolean) };
}

function unhealthySince(heal: HealContext, primary: string): UnhealthyRecord | undefined {
  const record = parseUnhealthy(heal.cluster.metadata.annotations?.[UNHEALTHY_SINCE_ANNOTATION]);
  return record?.primary === primary ? record : undefined;
}

/**
 * The replicas that may hold the failed primary's last acknowledged commits: those the last
 * status (written while the primary was healthy, a second or two ago) or this observation saw
 * streaming. Any other replica was not connected, so it cannot have acknowledged anything.
 */
function streamingReplicas(heal: HealContext, primary: string): string[] {
  const names = new Set<string>();
  for (const instance of heal.cluster.status?.instances ?? []) if (instance.name !== primary && instance.replication === "Running") names.add(instance.name);
  for (const detail of heal.observation.details) if (detail.name !== primary && replicationWords(detail.view) === "Running") names.add(detail.name);
  return [...names].sort();
}

async function healPrimary(heal: HealContext): Promise<void> {
  const current = heal.cluster.status?.currentPrimary;
  const target = heal.cluster.status?.targetPrimary;

  if (target && target !== current) {
    const targetView = heal.view(target);
    if (targetView?.reachable && targetView.readOnly === false && !targetView.replication) {
      // The promotion got as far as opening writes: finish it.
      await heal.setRole(target, ROLE_PRIMARY);
      await heal.persistStatus({ currentPrimary: target, targetPrimary: undefined });
      if (current) await fenceInstance(heal, current);
      await heal.normal("PromotionCompleted", `Completed the interrupted promotion of ${target} to primary`);
      heal.busy = true;
      return;
    }
    // Not promoted yet: forget the target; the steps below decide afresh (same rules, same result).
    await heal.persistStatus({ targetPrimary: undefined });
  }

  if (!current) {
    await bootstrapPrimary(heal);
    return;
  }

  const view = heal.view(current);
  if (isHealthy(heal, current) && view) {
    if (heal.cluster.metadata.annotations?.[UNHEALTHY_SINCE_ANNOTATION]) await heal.annotateCluster({ [UNHEALTHY_SINCE_ANNOTATION]: null });
    if (view.readOnly) {
      const decision = mayReopenPrimary(view, heal.views());
      if (decision.reopen) {
        await heal.withSession(current, (session) => reopenPrimary(session, heal.semiSync(), heal.semiSyncTimeoutMs()));
        await heal.setRole(current, ROLE_PRIMARY);
        await heal.normal("PrimaryReopened", `Made ${current} writable again (it came back read-only, as every instance starts) after checking no other instance holds more`);
        heal.busy = true;
        return;
      }
      // It came back without everything others hold (e.g. a replaced volume): fail over now.
      await failover(heal, current, 0, decision.reason);
      return;
    }
    if (view.readOnly === false && heal.roleOf(current) !== ROLE_PRIMARY) await heal.setRole(current, ROLE_PRIMARY);
    return;
  }

  const now = heal.now();
  let record = unhealthySince(heal, current);
  if (!record) {
    record = { primary: current, since: now, streaming: streamingReplicas(heal, current) };
    await heal.annotateCluster({ [UNHEALTHY_SINCE_ANNOTATION]: formatUnhealthy(record) });
  }
  for (const view of heal.views()) view.wasReplicating = record.streaming.includes(view.name);
  const elapsed = now.getTime() - record.since.getTime();
  const delayMs = heal.spec.failover.delaySeconds * 1000;
  const why = heal.details.get(current)?.error ?? "its pod is not ready";
  if (elapsed < delayMs) {
    heal.problems.push(`The primary ${current} is unhealthy (${why}) for ${Math.round(elapsed / 100) / 10}s; failing over after ${heal.spec.failover.delaySeconds}s`);
    heal.busy = true;
    return;
  }
  await failover(heal, current, elapsed, why);
}

async function failover(heal: HealContext, failed: string, elapsedMs: number, why: string): Promise<void> {
  const plan = chooseFailoverCandidate(heal.views(), failed, heal.spec.failover.dataLoss);
  if (plan.action === "wait") {
    heal.problems.push(`The primary ${failed} is unhealthy (${why}) but no replica is promoted: ${plan.reason}`);
    heal.busy = true;
    return;
  }
  await executeFailover(heal, { failed, candidate: plan.candidate, waitFor: plan.waitFor, unhealthyForMs: elapsedMs, reason: plan.reason });
}

async function bootstrapPrimary(heal: HealContext): Promise<void> {
  if (heal.cluster.status?.bootstrapped) {
    // The status lost its primary (restored from a backup of the object, edited by hand):
    // elect as after a failure, among everything that answers.
    const plan = chooseFailoverCandidate(heal.views(), undefined, heal.spec.failover.dataLoss);
    if (plan.action === "wait") {
      heal.problems.push(`No primary is recorded and none can be chosen yet: ${plan.reason}`);
      heal.busy = true;
      return;
    }
    await executeFailover(heal, { failed: "(none recorded)", candidate: plan.candidate, waitFor: plan.waitFor, unhealthyForMs: 0, reason: plan.reason });
    return;
  }
  const first = heal.names.pod(0);
  if (!isHealthy(heal, first)) {
    heal.busy = true;
    return;
  }
  await heal.withSession(first, async (session) => {
    // No replica exists yet to acknowledge: semi-sync is switched on once one streams (healReplicas).
    await reopenPrimary(session, false, heal.semiSyncTimeoutMs());
    await ensureApplicationAccount(session, heal.spec, heal.prepared.credentials.app);
  });
  await heal.setRole(first, ROLE_PRIMARY);
  await heal.persistStatus({ currentPrimary: first, bootstrapped: true });
  heal.engine.accountsEnsured.add(`${heal.cluster.metadata.uid}/${first}`);
  await heal.normal("Bootstrapped", `Initialized ${first} as the primary of ${heal.names.cluster}; the replicas copy its data and follow it`);
  heal.busy = true;
}

async function ensureAccounts(heal: HealContext, primary: string): Promise<void> {
  const key = `${heal.cluster.metadata.uid}/${primary}`;
  if (heal.engine.accountsEnsured.has(key)) return;
  const done = await heal.withSession(primary, (session) => ensureApplicationAccount(session, heal.spec, heal.prepared.credentials.app));
  heal.engine.accountsEnsured.add(key);
  if (done.length > 0) await heal.normal("AccountsCreated", `On ${primary}: ${done.join(", ")}`);
}

async function healReplicas(heal: HealContext, primary: string): Promise<void> {
  const primaryView = heal.view(primary)!;
  const primaryHost = heal.hostOf(primary);
  for (const detail of heal.observation.details) {
    if (detail.name === primary) continue;
    const view = detail.view;
    if (!view.reachable || detail.pod.terminating) continue;
    try {
      if (view.readOnly === false) {
        // Two writable instances must never last: this one is not the primary.
        const fenced = await fenceInstance(heal, detail.name);
        await heal.warning("Fenced", `Fenced ${detail.name}, which was writable but is not the primary (${primary}): ${fenced}`);
        heal.busy = true;
      }
      if (heal.flavor === "mysql" && view.executed && isEmptyGtid(view.executed) && primaryView.executed && !isEmptyGtid(primaryView.executed)) {
        await cloneFromPrimary(heal, detail.name, primary);
        continue;
      }
      const wantTls = heal.replicationCaFile() !== undefined;
      let plan = planReplica(view, primaryView, primaryHost, wantTls);
      if (plan.action === "reseed" && !view.errant) {
        // Wiping data is not undone: decide again on the primary's position read now, after
        // this instance's (the observation read them one after the other).
        const fresh = await heal.withSession(primary, (session) => session.facts());
        plan = planReplica(view, instanceView(heal.flavor, primary, heal.details.get(primary)!.pod, fresh, undefined), primaryHost, wantTls);
      }
      if (plan.action === "reseed") {
        await heal.reseed(detail.name, plan.reason);
        continue;
      }
      if (plan.action === "replicate") {
        await heal.withSession(detail.name, (session) =>
          replicateFrom(session, { sourceHost: primaryHost, sourcePort: MYSQL_PORT, replicationPassword: heal.prepared.credentials.replication, formerPrimary: plan.formerPrimary, tlsCaFile: heal.replicationCaFile() }),
        );
        heal.busy = true;
        await heal.normal("ReplicationStarted", `${detail.name} now replicates from the primary ${primary} (${plan.reason})`);
      }
      if (plan.action !== "wait") await heal.setRole(detail.name, ROLE_REPLICA);
    } catch (error) {
      heal.problems.push(`Could not converge ${detail.name}: ${describeError(error)}`);
      heal.busy = true;
    }
  }
  await ensureSemiSync(heal, primary);
}

/**
 * The semi-sync source side goes on once a replica streams from the primary and stays on
 * (with dataLoss none, commits then wait for an acknowledgement however long it takes). Before
 * the first replica exists (a new cluster) there is nobody to acknowledge.
 */
async function ensureSemiSync(heal: HealContext, primary: string): Promise<void> {
  if (!heal.semiSync() || heal.details.get(primary)?.facts?.variables.semiSyncSource) return;
  const streaming = heal.observation.details.some((detail) => detail.name !== primary && replicationWords(detail.view) === "Running");
  if (!streaming) return;
  await heal.withSession(primary, (session) => session.run(session.sql.setSemiSyncSource(true, heal.semiSyncTimeoutMs())));
  await heal.normal("SemiSyncEnabled", `Turned on semi-synchronous replication on ${primary}: a commit is acknowledged only once a replica has it`);
}

/** MySQL 8.4: an empty instance copies the primary with the clone plugin (the server restarts itself after). */
async function cloneFromPrimary(heal: HealContext, replica: string, primary: string): Promise<void> {
  const { cloneStatements } = await import("./clone.js");
  await heal.withSession(replica, (session) => session.run(cloneStatements({ host: heal.hostOf(primary), port: MYSQL_PORT, password: heal.prepared.credentials.root }), 3_600_000)).catch((error: unknown) => {
    // CLONE ends with the recipient restarting, which drops our session: that is success.
    if (!/restart|lost connection|server has gone away/i.test(describeError(error))) throw error;
  });
  await heal.normal("Cloned", `Cloned ${replica} from the primary ${primary}`);
  heal.busy = true;
}
