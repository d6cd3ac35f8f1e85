import type { Condition } from "./api/common.js";
import { kubeTime } from "./k8s/time.js";

export interface ConditionUpdate {
  type: string;
  status: Condition["status"];
  reason: string;
  /** What a reader should know or do next, in a sentence. */
  message: string;
}

/**
 * Returns the conditions with `next` set. lastTransitionTime moves only when the status
 * flips, so it says how long the condition has been what it is; reason, message and
 * observedGeneration follow every call. Order is kept and new types are appended, so
 * unchanged input gives structurally equal output (and no status write).
 */
export function setCondition(conditions: Condition[] | undefined, next: ConditionUpdate, observedGeneration?: number, now: Date = new Date()): Condition[] {
  const current = conditions ?? [];
  const index = current.findIndex((condition) => condition.type === next.type);
  const existing = index >= 0 ? current[index] : undefined;
  const updated: Condition = {
    type: next.type,
    status: next.status,
    reason: next.reason,
    message: next.message,
    lastTransitionTime: existing && existing.status === next.status ? existing.lastTransitionTime : kubeTime(now),
  };
  const generation = observedGeneration ?? existing?.observedGeneration;
  if (generation !== undefined) updated.observedGeneration = generation;
  if (index < 0) return [...current, updated];
  return current.map((condition, position) => (position === index ? updated : condition));
}

export function getCondition(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((condition) => condition.type === type);
}

export function isConditionTrue(conditions: Condition[] | undefined, type: string): boolean {
  return getCondition(conditions, type)?.status === "True";
}

export function removeCondition(conditions: Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((condition) => condition.type !== type);
}
