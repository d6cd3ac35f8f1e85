import type { KubeObject } from "../../shared/k8s/client.js";

export interface JobObject extends KubeObject {
  status?: {
    active?: number;
    succeeded?: number;
    failed?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

export type JobOutcome = { state: "running" } | { state: "succeeded" } | { state: "failed"; reason: string };

/** What a Job's status says, the way the Job controller writes it (conditions first, counters as a fallback). */
export function jobOutcome(job: JobObject): JobOutcome {
  const conditions = job.status?.conditions ?? [];
  const complete = conditions.find((condition) => (condition.type === "Complete" || condition.type === "SuccessCriteriaMet") && condition.status === "True");
  if (complete || (job.status?.succeeded ?? 0) > 0) return { state: "succeeded" };
  const failedCondition = conditions.find((condition) => (condition.type === "Failed" || condition.type === "FailureTarget") && condition.status === "True");
  if (failedCondition) return { state: "failed", reason: [failedCondition.reason, failedCondition.message].filter(Boolean).join(": ") || "Failed" };
  if ((job.status?.failed ?? 0) > 0) return { state: "failed", reason: "its pod failed" };
  return { state: "running" };
}
