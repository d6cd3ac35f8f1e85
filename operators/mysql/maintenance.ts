/**
 * Maintenance on a healthy cluster, one step per pass (the steps are common/maintenance.ts):
 * a requested switchover, moving the primary off an ordinal that scale-in removes, rolling a
 * new pod template, growing volumes. What waits is reported in the Degraded message.
 */
import { RESOURCES } from "../../shared/k8s/client.js";
import { claimTemplateSize } from "../common/cluster-state.js";
import { plannedSwitchover, runMaintenance as runMaintenanceSteps, type TemplateRollout } from "../common/maintenance.js";
import { growDataClaims } from "../common/volume-growth.js";
import type { HealContext } from "./heal-context.js";
import { replicationWords } from "./observe.js";
import { chooseSwitchoverTarget } from "./planner.js";
import { executeSwitchover } from "./promotion.js";

export function runMaintenance(heal: HealContext, primary: string): Promise<void> {
  const waits = (message: string) => void heal.problems.push(message);
  const switchover = plannedSwitchover(
    (request, allowed) => chooseSwitchoverTarget(heal.views(), primary, request, allowed),
    (target, why) => executeSwitchover(heal, primary, target, why),
  );
  return runMaintenanceSteps(heal, primary, { switchover, waits, rollout: () => rollout(heal, primary, switchover, waits), growVolumes: () => growVolumes(heal) });
}

function rollout(heal: HealContext, primary: string, switchover: TemplateRollout["switchover"], waits: (message: string) => void): TemplateRollout {
  return {
    pods: heal.observation.details
      .filter((detail) => detail.pod.exists && detail.ordinal < heal.spec.replicas)
      .map((detail) => ({
        name: detail.name,
        ordinal: detail.ordinal,
        revision: detail.pod.revision,
        ready: detail.pod.ready,
        terminating: detail.pod.terminating,
        healthy: detail.name === primary ? detail.view.reachable && detail.view.readOnly === false : replicationWords(detail.view) === "Running" && detail.pod.ready,
      })),
    updateRevision: heal.prepared.existingStatefulSet?.status?.updateRevision,
    uidOf: (pod) => heal.details.get(pod)?.pod.uid,
    switchover,
    waits,
  };
}

/**
 * Volumes grow by patching each PVC's request (common/volume-growth.ts). The StatefulSet's
 * claim template cannot change in place: once every PVC is grown, the StatefulSet is deleted
 * with orphan propagation (its pods keep running) and the next apply creates it again with the
 * new size, adopting the pods.
 */
async function growVolumes(heal: HealContext): Promise<void> {
  const { names } = heal;
  const ordinals = heal.observation.details.map((detail) => detail.ordinal);
  const below = await growDataClaims(heal, claimTemplateSize(heal.prepared.existingStatefulSet), names.pvc, ordinals, (message) => heal.problems.push(message));
  if (below === 0) {
    const size = String(heal.spec.storage.size);
    await heal.context.client.delete(RESOURCES.StatefulSet, names.namespace, names.statefulSet, { propagationPolicy: "Orphan" });
    await heal.normal("StatefulSetRecreated", `Recreated the StatefulSet ${names.statefulSet} (pods kept) so its volume claim template asks for ${size}`);
    heal.busy = true;
  }
}
