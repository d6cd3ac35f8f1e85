/**
 * Scaling in an engine with one primary removes the highest ordinals (the StatefulSet does), so
 * a primary among them is first switched over to a lower one (maintenance does that), and only
 * then removed.
 */
import type { BuildInput } from "./resources/build-input.js";
import { ordinalOrUndefined } from "./names.js";

/** How many pods the StatefulSet keeps: spec.replicas, but never fewer than the primary's ordinal + 1. */
export function statefulSetReplicas(input: BuildInput): number {
  const primary = input.cluster.status?.currentPrimary;
  const floor = primary ? (ordinalOrUndefined(primary) ?? -1) + 1 : 0;
  return Math.max(input.spec.replicas, floor);
}

/** Whether the primary is among the ordinals a scale-in to `desiredReplicas` removes. */
export function primaryBlocksScaleIn(primary: string | undefined, primaryOrdinal: number | undefined, desiredReplicas: number): boolean {
  return primary !== undefined && primaryOrdinal !== undefined && primaryOrdinal >= desiredReplicas;
}
