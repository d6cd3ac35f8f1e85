/**
 * Maintenance on a healthy cluster, one step per pass: a requested switchover, moving the
 * primary off an ordinal that scale-in removes, rolling a new pod template, growing volumes.
 */
import { ANNOTATIONS } from "../../shared/api/index.js";
import { RESOURCES, type KubeObject } from "../../shared/k8s/client.js";
import { describeError } from "./client.js";
import type { HealContext } from "./heal-context.js";
import { mysqlNames, ordinalOf } from "./names.js";
import { replicationWords } from "./observe.js";
import { chooseSwitchoverTarget } from "./planner.js";
import { executeSwitchover } from "./promotion.js";
import { claimsToGrow, planRollingRestart, primaryBlocksScaleIn, type RollingPod } from "./rolling.js";

export async function runMaintenance(heal: HealContext, primary: string): Promise<void> {
  if (await requestedSwitchover(heal, primary)) return;
  if (await scaleInSwitchover(heal, primary)) return;
  if (await rollTemplate(heal, primary)) return;
  await growVolumes(heal);
}

async function switchover(heal: HealContext, primary: string, request: string, why: string, allowed: (name: string) => boolean) {
  const plan = chooseSwitchoverTarget(heal.views(), primary, request, allowed);
  if (plan.action === "refuse") return { ok: false, message: `Switchover (${request}) refused: ${plan.reason}` } as const;
  return executeSwitchover(heal, primary, plan.target, why);
}

async function requestedSwitchover(heal: HealContext, primary: string): Promise<boolean> {
  const request = heal.cluster.metadata.annotations?.[ANNOTATIONS.switchover];
  if (!request) return false;
  const result = await switchover(heal, primary, request.trim() || "auto", `requested with ${ANNOTATIONS.switchover}=${request}`, () => true);
  const current = heal.status.currentPrimary ?? primary;
  await heal.persistStatus({
    lastSwitchover: { request, to: result.ok ? current : undefined, at: heal.now().toISOString(), result: result.message },
  });
  await heal.annotateCluster({ [ANNOTATIONS.switchover]: null });
  if (result.ok) await heal.normal("SwitchedOver", result.message);
  else await heal.warning("SwitchoverFailed", result.message);
  heal.busy = true;
  return true;
}

async function scaleInSwitchover(heal: HealContext, primary: string): Promise<boolean> {
  if (!primaryBlocksScaleIn(primary, ordinalOf(primary), heal.spec.replicas)) return false;
  const result = await switchover(heal, primary, "auto", `scaling in to ${heal.spec.replicas} removes ${primary}`, (name) => ordinalOf(name) < heal.spec.replicas);
  if (result.ok) await heal.normal("SwitchedOver", result.message);
  else heal.problems.push(`Scaling in waits: ${result.message}`);
  heal.busy = true;
  return true;
}

async function rollTemplate(heal: HealContext, primary: string): Promise<boolean> {
  const updateRevision = heal.prepared.existingStatefulSet?.status?.updateRevision;
  const pods: RollingPod[] = heal.observation.details
    .filter((detail) => detail.pod.exists && detail.ordinal < heal.spec.replicas)
    .map((detail) => ({
      name: detail.name,
      ordinal: detail.ordinal,
      revision: detail.pod.revision,
      ready: detail.pod.ready,
      terminating: detail.pod.terminating,
      healthy: detail.name === primary ? detail.view.reachable && detail.view.readOnly === false : replicationWords(detail.view) === "Running" && detail.pod.ready,
    }));
  const plan = planRollingRestart(pods, updateRevision, primary);
  switch (plan.action) {
    case "none":
      return false;
    case "wait":
      heal.problems.push(`Rolling update: ${plan.reason}`);
      heal.busy = true;
      return true;
    case "delete": {
      const uid = heal.details.get(plan.pod)?.pod.uid;
      await heal.context.client.delete(RESOURCES.Pod, heal.names.namespace, plan.pod, uid ? { uid } : {});
      await heal.normal("RollingUpdate", `Restarted ${plan.pod} to apply the new pod template (${plan.reason})`);
      heal.busy = true;
      return true;
    }
    case "switchover": {
      const updated = new Set(pods.filter((pod) => pod.revision === updateRevision).map((pod) => pod.name));
      const result = await switchover(heal, primary, "auto", plan.reason, (name) => updated.has(name));
      if (result.ok) await heal.normal("SwitchedOver", result.message);
      else heal.problems.push(`Rolling update waits: ${result.message}`);
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
 * StatefulSet's claim template cannot change in place: once every PVC is grown, the
 * StatefulSet is deleted with orphan propagation (its pods keep running) and the next apply
 * creates it again with the new size, adopting the pods.
 */
async function growVolumes(heal: HealContext): Promise<void> {
  const size = String(heal.spec.storage.size);
  const names = mysqlNames(heal.cluster);
  const template = heal.prepared.existingStatefulSet?.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage;
  // Nothing to do while the claim template asks for the spec's size (the usual case: no reads).
  if (!template || claimsToGrow([{ name: "template", requested: template }], size).length === 0) return;
  const claims: ClaimObject[] = [];
  for (const detail of heal.observation.details) {
    const claim = await heal.context.client.get<ClaimObject>(RESOURCES.PersistentVolumeClaim, names.namespace, names.pvc(detail.ordinal));
    if (claim) claims.push(claim);
  }
  const grow = claimsToGrow(claims.map((claim) => ({ name: claim.metadata.name, requested: claim.spec?.resources?.requests?.storage })), size);
  for (const name of grow) {
    try {
      await heal.context.client.mergePatch(RESOURCES.PersistentVolumeClaim, names.namespace, name, { spec: { resources: { requests: { storage: size } } } });
      await heal.normal("VolumeGrown", `Requested ${size} for ${name}`);
    } catch (error) {
      heal.problems.push(`Could not grow ${name} to ${size}: ${describeError(error)} (the storage class must allow volume expansion)`);
    }
  }
  if (grow.length === 0) {
    await heal.context.client.delete(RESOURCES.StatefulSet, names.namespace, names.statefulSet, { propagationPolicy: "Orphan" });
    await heal.normal("StatefulSetRecreated", `Recreated the StatefulSet ${names.statefulSet} (pods kept) so its volume claim template asks for ${size}`);
    heal.busy = true;
  }
}
