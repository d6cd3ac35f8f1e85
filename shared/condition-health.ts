/**
 * Which conditions say something is wrong: the one reading `steward status` and the console
 * share. Type-only imports, so the console's browser bundle can take it.
 */
import type { Condition } from "./api/common.js";

/** Conditions whose healthy status is False. */
const NEGATIVE = new Set(["Degraded", "Paused", "VerificationFailed", "Fenced"]);

/** False for a choice, not a fault: TLS switched off by the user, or an engine that serves none yet. */
const CHOSEN_OFF: Record<string, ReadonlySet<string>> = { TLS: new Set(["Disabled", "NotSupported"]) };

export function isProblem(condition: Condition): boolean {
  if (NEGATIVE.has(condition.type)) return condition.status === "True";
  if (condition.status === "False" && CHOSEN_OFF[condition.type]?.has(condition.reason)) return false;
  return condition.status !== "True";
}

export function problemConditions(conditions: Condition[] | undefined): Condition[] {
  return (conditions ?? []).filter(isProblem);
}
