/**
 * One heal pass of a MongoDB cluster, in a fixed order (each step reads the observation,
 * never which event woke the reconcile, and is safe to repeat):
 *  1. never initiated: the agent in the first pod bootstraps the set through the localhost
 *     exception (replica-set.ts); only while status has never recorded a primary, so a first
 *     member that lost its data never starts a second set; a cluster made from a backup then
 *     waits until that member loaded it;
 *  2. no primary: MongoDB is electing one; the operator waits. With failover.dataLoss allowed
 *     and a majority of voters gone (their pods deleted) past failover.delaySeconds, it forces a
 *     configuration of the survivors (a Warning Event says what may be lost);
 *  3. the primary MongoDB elected is recorded (status.currentPrimary, an Event when it moved)
 *     and pods are labelled for the -primary and -replicas Services;
 *  4. the application user exists;
 *  5. one membership step (planner.ts), a step-down first when the primary must leave;
 *  6. maintenance: switchover requests, scale-in, rolling template changes (secondaries first,
 *     then a step-down, then the old primary), volume growth (common/maintenance.ts).
 */
import { claimTemplateSize } from "../common/cluster-state.js";
import { describeError } from "../common/errors.js";
import { plannedSwitchover, runMaintenance, type Switchover, type TemplateRollout } from "../common/maintenance.js";
import { ordinalOf } from "../common/names.js";
import { chooseSwitchoverTargetOf } from "../common/switchover-target.js";
import { growDataClaims } from "../common/volume-growth.js";
import type { EngineContext, HealOutcome } from "../engine.js";
import type { MongodbEngine, MongodbPrepared } from "./engine.js";
import { MongodbHealContext } from "./heal-context.js";
import { ADMIN_USER, applicationDatabase } from "./names.js";
import type { MemberReading, MongodbObservation } from "./observe.js";
import { planForcedReconfig } from "./planner.js";
import { desiredMembers } from "./replset-config.js";
import { RESTORE_IN_PROGRESS, ensureApplicationUser, stepMembership, switchover } from "./replica-set.js";
import { decideRestore, holdsForRestore, type LoadAnswer } from "./restore-hold.js";
import { compareOpTime, primaryChange } from "./status.js";

/** Set once the application user exists with the Secret's password; absent again makes the next pass check. */
export const APP_USER_ANNOTATION = "steward.dev/mongodb-app-user";

const BUSY_REQUEUE_MS = 1000;
const DEGRADED_REQUEUE_MS = 2000;
const HEALTHY_REQUEUE_MS = 5000;

export async function healCluster(engine: MongodbEngine, context: EngineContext, prepared: MongodbPrepared, observation: MongodbObservation): Promise<HealOutcome> {
  const heal = new MongodbHealContext(engine, context, prepared, observation);
  try {
    await healSteps(heal);
  } finally {
    await heal.closeSessions();
  }
  const requeueAfterMs = heal.busy ? BUSY_REQUEUE_MS : observation.problems.length > 0 || !observation.electedPrimary ? DEGRADED_REQUEUE_MS : HEALTHY_REQUEUE_MS;
  return { requeueAfterMs, status: heal.status, ...(heal.failed ? { failed: heal.failed } : {}) };
}

async function healSteps(heal: MongodbHealContext): Promise<void> {
  const { observation } = heal;
  if (observation.uninitiated) return bootstrap(heal);
  // A cluster made from a backup gets no application user, no other member and no primary label until the first member loaded it.
  if (holdsForRestore(heal.spec.bootstrap !== undefined, heal.cluster.metadata.annotations)) {
    heal.failed = await restoreFromBackup(heal);
    return;
  }
  const primary = observation.electedPrimary;
  if (!primary) return heal.spec.failover.dataLoss === "allowed" ? forceIfMajorityLost(heal) : undefined;

  const recorded = heal.cluster.status?.currentPrimary;
  await heal.labelRoles();
  const change = primaryChange(recorded, primary);
  if (change) {
    await heal.persistStatus({ currentPrimary: primary });
    if (recorded) await heal.normal("PrimaryChanged", change);
  }

  const session = await heal.session(primary);
  if (heal.cluster.metadata.annotations?.[APP_USER_ANNOTATION] !== "ok") {
    const outcome = await ensureApplicationUser(session, applicationDatabase(heal.cluster, heal.spec), { user: heal.spec.username, password: heal.prepared.passwords.app });
    await heal.annotateCluster({ [APP_USER_ANNOTATION]: "ok" });
    if (outcome === "created") await heal.normal("UserCreated", `Created the application user ${heal.spec.username} in database ${applicationDatabase(heal.cluster, heal.spec)}`);
  }

  const names = heal.names;
  const desired = desiredMembers(heal.spec.replicas, names.pod, (pod) => heal.memberHost(pod));
  const step = await stepMembership(session, { setName: names.replicaSet, desired, primaryHost: heal.memberHost(primary), podsUp: observation.podsUp });
  const switchoverTo = switchoverFor(heal, primary);
  if (step.action === "reconfig") {
    await heal.normal("Reconfigured", `${capitalize(step.reason)} (configuration version ${step.config.version})`);
    heal.busy = true;
    return;
  }
  if (step.action === "stepDown") {
    const result = await switchoverTo("auto", step.reason, (pod) => ordinalOf(pod) < heal.spec.replicas);
    if (result.ok) await heal.normal("SwitchedOver", result.message);
    else heal.log.warn(`Membership change waits: ${result.message}`);
    heal.busy = true;
    return;
  }
  if (step.action === "wait") heal.log.info(`Membership change waits: ${step.reason}`);
  await runMaintenance(heal, primary, {
    switchover: switchoverTo,
    waits: (message) => heal.log.warn(message),
    rollout: () => rollout(heal, primary, switchoverTo),
    growVolumes: async () => {
      await growDataClaims(heal, claimTemplateSize(heal.prepared.existingStatefulSet), names.pvc, observation.readings.map((reading) => ordinalOf(reading.name)), (message) => heal.log.warn(message));
    },
  });
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

async function bootstrap(heal: MongodbHealContext): Promise<void> {
  if (heal.cluster.status?.currentPrimary) {
    // Initiated before, yet no member reports a set: the operator will not start a new, empty one.
    heal.log.warn("No member reports the replica set although status recorded a primary; waiting for members with data");
    return;
  }
  const first = heal.names.pod(0);
  if (!heal.observation.podsUp.has(first)) return;
  try {
    const outcome = await heal.engine.requestBootstrap(heal.context, heal.prepared, first);
    await heal.normal("Initiated", `Initiated replica set ${heal.names.replicaSet} on ${first} and created the operator's user ${ADMIN_USER} (${outcome})`);
  } catch (error) {
    await heal.warning("InitiateFailed", `Initiating replica set ${heal.names.replicaSet} on ${first} failed: ${describeError(error)}; retrying`);
  }
  heal.busy = true;
}

/**
 * spec.bootstrap: the first member's sidecar loads the backup as the last bootstrap step
 * (backup/bootstrap-restore.ts) and answers "restoring" until it is done; only then are the
 * other members added (they copy it by initial sync), so the set never serves partial data.
 */
async function restoreFromBackup(heal: MongodbHealContext): Promise<string | undefined> {
  const first = heal.names.pod(0);
  heal.busy = true;
  const decision = decideRestore(first, heal.cluster.metadata.annotations, await askToLoad(heal, first));
  if (decision.note) heal.log.info(decision.note);
  if (decision.annotations) await heal.annotateCluster(decision.annotations);
  if (decision.event?.type === "Normal") await heal.normal(decision.event.reason, decision.event.message);
  if (decision.event?.type === "Warning") await heal.warning(decision.event.reason, decision.event.message);
  return decision.failed;
}

/** Asks the first member's sidecar to bootstrap (the load is its last step) once its mongod answers. */
async function askToLoad(heal: MongodbHealContext, first: string): Promise<LoadAnswer> {
  if (!heal.observation.podsUp.has(first)) return { kind: "memberDown" };
  try {
    const outcome = await heal.engine.requestBootstrap(heal.context, heal.prepared, first);
    return outcome === RESTORE_IN_PROGRESS ? { kind: "loading" } : { kind: "loaded", outcome };
  } catch (error) {
    return { kind: "failed", why: describeError(error) };
  }
}

/** The switchover the maintenance steps and the membership step-down use: MongoDB's election, steered (replica-set.ts). */
function switchoverFor(heal: MongodbHealContext, primary: string): Switchover {
  const readings = heal.observation.readings;
  return plannedSwitchover(
    (request, allowed) =>
      chooseSwitchoverTargetOf<MemberReading>({
        instances: readings,
        primary,
        request,
        allowed,
        whyNot: (reading) => (!reading.hello ? `${reading.name} does not answer` : !reading.hello.secondary ? `${reading.name} is not a secondary` : ordinalOf(reading.name) >= heal.spec.replicas ? `${reading.name} is being removed` : undefined),
        rank: (a, b) => (b.hello?.lastWrite && a.hello?.lastWrite ? compareOpTime(b.hello.lastWrite, a.hello.lastWrite) : 0) || ordinalOf(a.name) - ordinalOf(b.name),
        best: "is the most caught-up secondary",
      }),
    async (target) => {
      const members = await heal.sessionsToAnswering();
      const waitFor = async (check: () => Promise<boolean>) => {
        for (let attempt = 0; attempt < 60; attempt += 1) {
          if (await check().catch(() => false)) return true;
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
        return false;
      };
      const outcome = await heal.withLease(() => switchover(members, primary, target, waitFor));
      if (outcome.ok) await heal.persistStatus({ currentPrimary: target });
      return outcome;
    },
  );
}

function rollout(heal: MongodbHealContext, primary: string, switchoverTo: Switchover): TemplateRollout {
  const readings = heal.observation.readings.filter((reading) => reading.pod.exists && ordinalOf(reading.name) < heal.spec.replicas);
  return {
    pods: readings.map((reading) => ({
      name: reading.name,
      ordinal: ordinalOf(reading.name),
      revision: reading.pod.revision,
      ready: reading.pod.ready,
      healthy: reading.hello !== undefined && (reading.name === primary ? reading.hello.writablePrimary : reading.hello.secondary),
      terminating: reading.pod.terminating,
    })),
    updateRevision: heal.prepared.existingStatefulSet?.status?.updateRevision,
    uidOf: (pod) => readings.find((reading) => reading.name === pod)?.pod.uid,
    switchover: switchoverTo,
    waits: (message) => heal.log.warn(message),
  };
}

/**
 * failover.dataLoss: allowed only. A majority of voters is lost for good when their pods do
 * not exist (deleted with their nodes) for longer than failover.delaySeconds; the survivors
 * then get a forced configuration. Writes only the lost members had are gone.
 */
async function forceIfMajorityLost(heal: MongodbHealContext): Promise<void> {
  const missing = heal.observation.readings.filter((reading) => !reading.pod.exists).map((reading) => reading.name);
  if (missing.length === 0) return;
  // How long the cluster has been without a primary: since its Ready condition turned False (kept in status across operator restarts).
  const since = heal.cluster.status?.conditions?.find((condition) => condition.type === "Ready" && condition.status === "False")?.lastTransitionTime;
  if (!since || heal.now().getTime() - new Date(since).getTime() < heal.spec.failover.delaySeconds * 1000) return;
  const survivors = heal.observation.readings.filter((reading) => reading.hello?.setName);
  const first = survivors[0];
  if (!first) return;
  const session = await heal.session(first.name);
  const reading = await session.replSetGetConfig();
  if (!reading) return;
  const plan = planForcedReconfig(reading.config, new Set(survivors.map((survivor) => heal.memberHost(survivor.name))));
  if (!plan) return;
  await heal.withLease(() => session.replSetReconfig(plan.config, { force: true }));
  await heal.warning("ForcedReconfig", `${capitalize(plan.reason)}; writes acknowledged only by the lost members may be gone`);
  heal.busy = true;
}
