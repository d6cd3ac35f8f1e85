import type { ClusterPhase } from "../../shared/api/index.js";
import type { ConditionInput, HealOutcome, Observation } from "../engine.js";

export interface PhaseDecision {
  phase: ClusterPhase;
  conditions: ConditionInput[];
}

/**
 * The cluster's phase and its generic conditions (Ready, Degraded) from what the engine
 * observed and did. Pure: the controller only writes the result.
 */
export function decidePhase(desiredReplicas: number, observation: Observation, outcome: HealOutcome, previousPhase?: ClusterPhase): PhaseDecision {
  if (outcome.failed) {
    return {
      phase: "Failed",
      conditions: [
        { type: "Ready", status: "False", reason: "Failed", message: outcome.failed },
        { type: "Degraded", status: "True", reason: "Failed", message: outcome.failed },
      ],
    };
  }
  const ready = observation.readyReplicas;
  const allReady = ready >= desiredReplicas && observation.problems.length === 0;
  if (allReady) {
    return {
      phase: "Ready",
      conditions: [
        { type: "Ready", status: "True", reason: "AllInstancesReady", message: `${ready}/${desiredReplicas} instances are ready` },
        { type: "Degraded", status: "False", reason: "AllInstancesReady", message: "Nothing is degraded" },
      ],
    };
  }
  const problems = observation.problems.length > 0 ? observation.problems.join("; ") : `${ready}/${desiredReplicas} instances are ready; waiting for the rest to start`;
  // A cluster that has never been Ready is still being created, whatever is missing: a first
  // bootstrap is not a degradation, and it raises no Degraded warning.
  const neverReady = previousPhase === undefined || previousPhase === "Pending" || previousPhase === "Provisioning";
  if (observation.provisioning || neverReady) {
    return {
      phase: "Provisioning",
      conditions: [
        { type: "Ready", status: "False", reason: "Provisioning", message: problems },
        { type: "Degraded", status: "False", reason: "Provisioning", message: "The cluster is still being created" },
      ],
    };
  }
  // A cluster that serves writes with a replica down is Degraded but still Ready for clients.
  const serving = observation.primary !== undefined ? ready > 0 : ready > desiredReplicas / 2;
  return {
    phase: "Degraded",
    conditions: [
      { type: "Ready", status: serving ? "True" : "False", reason: serving ? "Serving" : "NotServing", message: serving ? `Serving with ${ready}/${desiredReplicas} instances ready` : problems },
      { type: "Degraded", status: "True", reason: "InstancesNotReady", message: problems },
    ],
  };
}
