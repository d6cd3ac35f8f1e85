/**
 * Maintenance on a healthy cluster, one step per pass (the steps are common/maintenance.ts):
 * a requested switchover, moving the primary off an ordinal that scale-in removes, rolling a
 * new pod template (config, users, version: replicas first, then a switchover, then the old
 * primary), growing volumes. What waits is logged.
 */
import { claimTemplateSize } from "../common/cluster-state.js";
import { plannedSwitchover, runMaintenance as runMaintenanceSteps, type TemplateRollout } from "../common/maintenance.js";
import { growDataClaims } from "../common/volume-growth.js";
import type { RedisHealContext } from "./heal-context.js";
import { chooseSwitchoverTarget, isStreamingFrom } from "./planner.js";
import { executeSwitchover } from "./promotion.js";

export function runMaintenance(heal: RedisHealContext, primary: string): Promise<void> {
  const waits = (message: string) => heal.log.warn(message);
  const switchover = plannedSwitchover(
    (request, allowed) => chooseSwitchoverTarget(heal.views(), heal.view(primary)!, request, (pod) => heal.hostOf(pod), allowed),
    (target, why) => executeSwitchover(heal, primary, target, why),
  );
  return runMaintenanceSteps(heal, primary, {
    switchover,
    waits,
    rollout: () => rollout(heal, primary, switchover),
    // The claim template keeps the size the StatefulSet was created with (it cannot change in
    // place), so only clusters whose spec asks for more than it look at their claims.
    growVolumes: async () => {
      await growDataClaims(heal, claimTemplateSize(heal.prepared.existingStatefulSet), heal.names.pvc, heal.observation.views.map((view) => view.ordinal), waits);
    },
  });
}

function rollout(heal: RedisHealContext, primary: string, switchover: TemplateRollout["switchover"]): TemplateRollout {
  const primaryView = heal.view(primary)!;
  const primaryHost = heal.hostOf(primary);
  return {
    pods: heal.observation.views
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
      }),
    updateRevision: heal.prepared.existingStatefulSet?.status?.updateRevision,
    uidOf: (pod) => heal.reading(pod)?.pod.uid,
    switchover,
    // Waiting for a pod to come back is the normal course of a rollout: informational.
    waits: (message) => heal.log.info(message),
    // No client is sent to a replica that is about to stop.
    beforeRestart: (pod) => heal.setRole(pod, undefined),
  };
}
