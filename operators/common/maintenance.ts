/**
 * Maintenance steps of an engine with one primary (MySQL, Redis), one per heal pass, on a
 * healthy cluster: a requested switchover, moving the primary off an ordinal that scale-in
 * removes, rolling a new pod template. The engine supplies its switchover (promotion.ts), how
 * it judges each pod's health, and where it reports what it waits for.
 */
import { ANNOTATIONS } from "../../shared/api/index.js";
import type { ClusterHealContext } from "./heal-context.js";
import { ordinalOf } from "./names.js";
import { planRollingRestart, type RollingPod } from "./rolling-restart.js";
import { primaryBlocksScaleIn } from "./scale-in.js";
import type { SwitchoverPlan } from "./switchover-target.js";

export interface SwitchoverResult {
  ok: boolean;
  message: string;
  pauseMs?: number;
}

/** The engine's switchover to `request` (a pod or "auto"), among the instances `allowed` accepts. */
export type Switchover = (request: string, why: string, allowed: (pod: string) => boolean) => Promise<SwitchoverResult>;

/** A switchover that asks the engine's planner for the target, then has the engine carry it out. */
export function plannedSwitchover(choose: (request: string, allowed: (pod: string) => boolean) => SwitchoverPlan, execute: (target: string, why: string) => Promise<SwitchoverResult>): Switchover {
  return async (request, why, allowed) => {
    const plan = choose(request, allowed);
    if (plan.action === "refuse") return { ok: false, message: `Switchover (${request}) refused: ${plan.reason}` };
    return execute(plan.target, why);
  };
}

export interface Maintenance {
  switchover: Switchover;
  /** Where the engine says what a scale-in waits for. */
  waits(message: string): void;
  /** The rolling change as the engine sees its pods (read only when the steps before had nothing to do). */
  rollout(): TemplateRollout;
  growVolumes(): Promise<void>;
}

/** The steps in order; each returns after the first that did something (or waits). */
export async function runMaintenance(heal: ClusterHealContext, primary: string, maintenance: Maintenance): Promise<void> {
  if (await switchoverOnRequest(heal, primary, maintenance.switchover)) return;
  if (await switchoverBeforeScaleIn(heal, primary, maintenance.switchover, maintenance.waits)) return;
  if (await rollPodTemplate(heal, primary, maintenance.rollout())) return;
  await maintenance.growVolumes();
}

/**
 * `steward.dev/switchover: <pod>|auto` on the cluster (empty means auto); removed once handled, the
 * result in status.lastSwitchover. The request is marked taken up (`inProgress`, with the primary
 * it started from) before anything moves: an operator killed between the switch and the record
 * leaves that mark, and the next one records the switch it finds done instead of doing another.
 */
export async function switchoverOnRequest(heal: ClusterHealContext, primary: string, switchover: Switchover): Promise<boolean> {
  const request = heal.cluster.metadata.annotations?.[ANNOTATIONS.switchover];
  if (request === undefined) return false;
  const target = request.trim() || "auto";
  const claimed = heal.cluster.status?.lastSwitchover;
  const started = Date.now();
  let from = primary;
  let result: SwitchoverResult;
  if (claimed?.inProgress && claimed.request === request && claimed.from !== undefined && switchedAway(target, claimed.from, primary)) {
    from = claimed.from;
    result = { ok: true, message: `Switched over from ${from} to ${primary} (recorded by the next operator: the one that switched stopped before recording it)` };
  } else {
    // A merge patch keeps keys it does not name: the previous record goes first, whole.
    if (claimed) await heal.persistStatus({ lastSwitchover: undefined });
    await heal.persistStatus({ lastSwitchover: { request, from, inProgress: true, at: heal.now().toISOString(), result: `Switching over from ${from}` } });
    result = await switchover(target, `requested with ${ANNOTATIONS.switchover}=${request}`, () => true);
  }
  const current = heal.status.currentPrimary ?? primary;
  await heal.persistStatus({ lastSwitchover: { request, from, inProgress: false, to: result.ok ? current : undefined, at: heal.now().toISOString(), result: result.message, durationSeconds: (Date.now() - started) / 1000 } });
  await heal.annotateCluster({ [ANNOTATIONS.switchover]: null });
  if (result.ok) await heal.normal("SwitchedOver", result.message);
  else await heal.warning("SwitchoverFailed", result.message);
  heal.busy = true;
  return true;
}

/** Whether the primary has moved the way `target` asked since `from` was the primary. */
function switchedAway(target: string, from: string, primary: string): boolean {
  return primary !== from && (target === "auto" || primary === target);
}

/** Scaling in removes the highest ordinals: a primary among them is switched over to a kept one first. */
export async function switchoverBeforeScaleIn(heal: ClusterHealContext, primary: string, switchover: Switchover, waits: (message: string) => void): Promise<boolean> {
  if (!primaryBlocksScaleIn(primary, ordinalOf(primary), heal.spec.replicas)) return false;
  const result = await switchover("auto", `scaling in to ${heal.spec.replicas} removes ${primary}`, (name) => ordinalOf(name) < heal.spec.replicas);
  if (result.ok) await heal.normal("SwitchedOver", result.message);
  else waits(`Scaling in waits: ${result.message}`);
  heal.busy = true;
  return true;
}

export interface TemplateRollout {
  /** The pods of desired ordinals that exist, with the engine's judgement of their health. */
  pods: RollingPod[];
  updateRevision: string | undefined;
  uidOf(pod: string): string | undefined;
  switchover: Switchover;
  /** Where the engine says what the rollout waits for. */
  waits(message: string): void;
  /** Before a replica's pod is deleted (Redis takes its role label off first, so no client is sent to it). */
  beforeRestart?(pod: string): Promise<void>;
}

/** One step of rolling a new pod template (planRollingRestart); true when it did or waits for something. */
export async function rollPodTemplate(heal: ClusterHealContext, primary: string, rollout: TemplateRollout): Promise<boolean> {
  const plan = planRollingRestart(rollout.pods, rollout.updateRevision, primary);
  switch (plan.action) {
    case "none":
      return false;
    case "wait":
      rollout.waits(`Rolling update: ${plan.reason}`);
      heal.busy = true;
      return true;
    case "delete": {
      await rollout.beforeRestart?.(plan.pod);
      await heal.deletePod(plan.pod, rollout.uidOf(plan.pod));
      await heal.normal("RollingUpdate", `Restarted ${plan.pod} to apply the new pod template (${plan.reason})`);
      heal.busy = true;
      return true;
    }
    case "restartOnlyInstance": {
      // It resumes as the primary once it answers again.
      await heal.deletePod(plan.pod, rollout.uidOf(plan.pod));
      await heal.warning("RollingUpdate", `Restarted ${plan.pod}, the only instance, to apply the new pod template; it took no writes until it was back`);
      heal.busy = true;
      return true;
    }
    case "switchover": {
      const updated = new Set(rollout.pods.filter((pod) => pod.revision === rollout.updateRevision).map((pod) => pod.name));
      const result = await rollout.switchover("auto", plan.reason, (name) => updated.has(name));
      if (result.ok) await heal.normal("SwitchedOver", result.message);
      else rollout.waits(`Rolling update waits: ${result.message}`);
      heal.busy = true;
      return true;
    }
  }
}
