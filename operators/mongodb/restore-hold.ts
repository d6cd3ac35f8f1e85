/**
 * A cluster made from a backup (spec.bootstrap): what each heal pass decides while the first
 * member loads it. Until the load is done the pass holds everything else back (no application
 * user, no role label so the primary Service routes nowhere, no other member: they would copy
 * partial data by initial sync). A failed load is counted in an annotation (kept across
 * operator restarts); from the second the cluster is Failed (so the DatabaseRestore that made
 * it fails), while the sidecar is asked again each pass until a load succeeds or the cluster
 * is deleted. Pure: heal.ts asks the sidecar and carries the decision out.
 */

/** Set once a cluster made from a backup holds it; until then the set stays one member. */
export const RESTORED_ANNOTATION = "steward.dev/mongodb-restored";
/** Failed loads of the backup so far. */
export const RESTORE_FAILURES_ANNOTATION = "steward.dev/mongodb-restore-failures";
/** From this many failed loads on, the cluster's phase is Failed. */
export const RESTORE_FAILURES_BEFORE_FAILED = 2;

type Annotations = Readonly<Record<string, string>> | undefined;

/** Whether this pass holds the cluster back for the restore's load step. */
export function holdsForRestore(fromBackup: boolean, annotations: Annotations): boolean {
  return fromBackup && annotations?.[RESTORED_ANNOTATION] !== "ok";
}

/** What the first member's sidecar said this pass (or that its mongod did not answer, so it was not asked). */
export type LoadAnswer = { kind: "memberDown" } | { kind: "loading" } | { kind: "loaded"; outcome: string } | { kind: "failed"; why: string };

export interface RestoreDecision {
  /** Annotations to write on the cluster (null removes one). */
  annotations?: Record<string, string | null>;
  event?: { type: "Normal" | "Warning"; reason: "Restored" | "RestoreFailed"; message: string };
  /** The cluster is Failed with this message; the loads go on. */
  failed?: string;
  /** What the pass logs when there is nothing else to say. */
  note?: string;
}

/** Failed loads so far, from the annotation (anything unreadable counts as none). */
export function restoreFailures(annotations: Annotations): number {
  const count = Number(annotations?.[RESTORE_FAILURES_ANNOTATION] ?? 0);
  return Number.isInteger(count) && count > 0 ? count : 0;
}

export function decideRestore(first: string, annotations: Annotations, answer: LoadAnswer): RestoreDecision {
  const failures = restoreFailures(annotations);
  const failedAfter = (count: number, why: string) =>
    count >= RESTORE_FAILURES_BEFORE_FAILED ? `Loading the backup into ${first} failed ${count} times, last: ${why}; the sidecar's log says more (kubectl logs ${first} -c agent); it keeps retrying, delete the cluster to give up` : undefined;
  const stillFailed = failedAfter(failures, "see the RestoreFailed Events");
  switch (answer.kind) {
    case "memberDown":
      return { note: `${first} does not answer yet; the backup is loaded once it does`, ...(stillFailed ? { failed: stillFailed } : {}) };
    case "loading":
      return { note: `${first} is loading the backup; members are added once it is done`, ...(stillFailed ? { failed: stillFailed } : {}) };
    case "loaded":
      return {
        event: { type: "Normal", reason: "Restored", message: `Loaded the backup into ${first} before any other member joined: ${answer.outcome}` },
        annotations: { [RESTORED_ANNOTATION]: "ok", [RESTORE_FAILURES_ANNOTATION]: null },
      };
    case "failed": {
      const failed = failedAfter(failures + 1, answer.why);
      return {
        annotations: { [RESTORE_FAILURES_ANNOTATION]: String(failures + 1) },
        event: { type: "Warning", reason: "RestoreFailed", message: `Loading the backup into ${first} failed: ${answer.why}; retrying` },
        ...(failed ? { failed } : {}),
      };
    }
  }
}
