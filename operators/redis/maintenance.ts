/**
 * Maintenance on a healthy cluster, one step per pass: a requested switchover, moving the
 * primary off an ordinal that scale-in removes, rolling a new pod template (config, users,
 * version: replicas first, then a switchover, then the old primary), growing volumes.
 */
import { ANNOTATIONS } from "../../shared/api/index.js";
import { RESOURCES, type KubeObject } from "../../shared/k8s/client.js";
import { ordinalOf } from "../mysql/names.js";
import { claimsToGrow, planRollingRestart, primaryBlocksScaleIn, type RollingPod } from "../mysql/rolling.js";
import { describeError } from "./client.js";
import type { RedisHealContext } from "./heal-context.js";
import { chooseSwitchoverTarget, isStreamingFrom } from "./planner.js";
import { executeSwitchover, type SwitchoverResult } from "./promotion.js";

export async function runMaintenance(heal: RedisHealContext, primary: string): Promise<void> {
  if (await requestedSwitchover(heal, primary)) return;
  if (await scaleInSwitchover(heal, primary)) return;
  if (await rollTemplate(heal, primary)) return;
  await growVolumes(heal);
}

async function switchover(heal: RedisHealContext, primary: string, request: string, why: string, allowed: (name: string) => boolean): Promise<SwitchoverResult> {
  const plan = chooseSwitchoverTarget(heal.views(), heal.view(primary)!, request, (pod) => heal.hostOf(pod), allowed);
  if (plan.action === "refuse") return { ok: false, message: `Switchover (${request}) refused: ${plan.reason}` };
  return executeSwitchover(heal, primary, plan.target, why);
}

/** `steward.dev/switchover: <pod>|auto` on the cluster; removed once handled, the result in status.lastSwitchover. */
async function requestedSwitchover(heal: RedisHealContext, primary: string): Promise<boolean> {
  const request = heal.cluster.metadata.annotations?.[ANNOTATIONS.switchover];
  if (request === undefined) return false;
  const result = await switchover(heal, primary, request.trim() || "auto", `requested with ${ANNOTATIONS.switchover}=${request}`, () => true);
  const current = heal.status.currentPrimary ?? primary;
  await heal.persistStatus({ lastSwitchover: { request, to: result.ok ? current : undefined, at: heal.now().toISOString(), result: result.message } });
  await heal.annotateCluster({ [ANNOTATIONS.switchover]: null });
  if (result.ok) await heal.normal("SwitchedOver", result.message);
  else await heal.warning("SwitchoverFailed", result.message);
  heal.busy = true;
  return true;
}

async function scaleInSwitchover(heal: RedisHealContext, primary: string): Promise<boolean> {
  if (!primaryBlocksScaleIn(primary, ordinalOf(primary), heal.spec.replicas)) return false;
  const result = await switchover(heal, primary, "auto", `scaling in to ${heal.spec.replicas} removes ${primary}`, (name) => ordinalOf(name) < heal.spec.replicas);
  if (result.ok) await heal.normal("SwitchedOver", result.message);
  else heal.log.warn(`scaling in waits: ${result.message}`);
  heal.busy = true;
  return true;
}

async function rollTemplate(heal: RedisHealContext, primary: string): Promise<boolean> {
  const updateRevision = heal.prepared.existingStatefulSet?.status?.updateRevision;
  const primaryView = heal.view(primary)!;
  const primaryHost = heal.hostOf(primary);
  const pods: RollingPod[] = heal.observation.views
    .filter((view) => view.podExists && view.ordinal < heal.spec.replicas)
    .map((view) => {
      const pod = heal.reading(view.name)!.pod;
      return {
        name: view.name,
        ordinal: view.ordinal,
        revision: pod.revision,
        ready: pod.ready,
        terminating: pod.terminating,
        healthy: view.name === primary ? view.facts?.role === "master" : pod.ready && isStreamingFrom(view, primaryView, primaryHost),
      };
    });
  const plan = planRollingRestart(pods, updateRevision, primary);
  switch (plan.action) {
    case "none":
      return false;
    case "wait":
      heal.busy = true;
      return true;
    case "delete": {
      const uid = heal.reading(plan.pod)?.pod.uid;
      await heal.setRole(plan.pod, undefined);
      await heal.context.client.delete(RESOURCES.Pod, heal.names.namespace, plan.pod, uid ? { uid } : {});
      await heal.normal("RollingUpdate", `Restarted ${plan.pod} to apply the new pod template (${plan.reason})`);
      heal.busy = true;
      return true;
    }
    case "switchover": {
      if (pods.length === 1) {
        // A single instance has nobody to switch over to: it restarts (and resumes as the
        // primary once it answers), which is a short outage a one-instance cluster accepts.
        const uid = heal.reading(primary)?.pod.uid;
        await heal.context.client.delete(RESOURCES.Pod, heal.names.namespace, primary, uid ? { uid } : {});
        await heal.warning("RollingUpdate", `Restarted ${primary}, the only instance, to apply the new pod template; it took no writes until it was back`);
        heal.busy = true;
        return true;
      }
      const updated = new Set(pods.filter((pod) => pod.revision === updateRevision).map((pod) => pod.name));
      const result = await switchover(heal, primary, "auto", plan.reason, (name) => updated.has(name));
      if (result.ok) await heal.normal("SwitchedOver", result.message);
      else heal.log.warn(`rolling update waits: ${result.message}`);
      heal.busy = true;
      return true;
    }
  }
}

interface ClaimObject extends KubeObject {
  spec?: { resources?: { requests?: { storage?: string } } };
}

/**
 * Volumes grow by patching each PVC's request (the storage class must allow expansion). The
 * claim template keeps the size the StatefulSet was created with (it cannot change in place),
 * so only clusters whose spec asks for more than it look at their claims.
 */
async function growVolumes(heal: RedisHealContext): Promise<void> {
  const size = String(heal.spec.storage.size);
  const template = heal.prepared.existingStatefulSet?.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage;
  if (!template || claimsToGrow([{ name: "template", requested: template }], size).length === 0) return;
  const claims: ClaimObject[] = [];
  for (const view of heal.observation.views) {
    const claim = await heal.context.client.get<ClaimObject>(RESOURCES.PersistentVolumeClaim, heal.names.namespace, `data-${heal.names.statefulSet}-${view.ordinal}`);
    if (claim) claims.push(claim);
  }
  for (const name of claimsToGrow(claims.map((claim) => ({ name: claim.metadata.name, requested: claim.spec?.resources?.requests?.storage })), size)) {
    try {
      await heal.context.client.mergePatch(RESOURCES.PersistentVolumeClaim, heal.names.namespace, name, { spec: { resources: { requests: { storage: size } } } });
      await heal.normal("VolumeGrown", `Requested ${size} for ${name}`);
    } catch (error) {
      heal.log.warn(`could not grow ${name} to ${size}: ${describeError(error)} (the storage class must allow volume expansion)`);
    }
  }
}
