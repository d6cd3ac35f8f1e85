/**
 * Pure plans for changes that restart or remove instances: rolling a new pod template
 * (config, version) replicas first, then a switchover, then the old primary; scaling in
 * (never removing the primary without a switchover first); and growing volumes.
 */
import { parseMemory } from "./config.js";

export interface RollingPod {
  name: string;
  ordinal: number;
  /** The pod's controller-revision-hash label. */
  revision?: string;
  ready: boolean;
  /** Replicating from the primary without errors (or is the primary and writable). */
  healthy: boolean;
  terminating: boolean;
}

export type RollingPlan =
  | { action: "none" }
  | { action: "wait"; reason: string }
  | { action: "delete"; pod: string; reason: string }
  | { action: "switchover"; reason: string };

/**
 * One step of a rolling change to `updateRevision`. At most one pod is away at a time: while
 * any pod is terminating, or a pod that already runs the new template is not healthy, it
 * waits. Outdated replicas go first, highest ordinal first (an outdated replica that is not
 * even ready goes before all: it is not serving, and the new template may be its fix). When
 * only the primary is left, a switchover moves the primary to an updated replica; the old
 * primary then rolls as a replica.
 */
export function planRollingRestart(pods: RollingPod[], updateRevision: string | undefined, primary: string | undefined): RollingPlan {
  if (!updateRevision) return { action: "none" };
  const outdated = pods.filter((pod) => pod.revision !== undefined && pod.revision !== updateRevision);
  if (outdated.length === 0) return { action: "none" };
  const away = pods.find((pod) => pod.terminating);
  if (away) return { action: "wait", reason: `waiting for ${away.name} to restart before rolling the next instance` };
  const brokenOutdated = outdated.filter((pod) => pod.name !== primary && !pod.ready).sort((a, b) => b.ordinal - a.ordinal)[0];
  const unhealthy = pods.find((pod) => !pod.healthy && pod.name !== brokenOutdated?.name);
  if (unhealthy) return { action: "wait", reason: `waiting for ${unhealthy.name} to be healthy before rolling the next instance` };
  if (brokenOutdated) return { action: "delete", pod: brokenOutdated.name, reason: `${brokenOutdated.name} runs an old template and is not ready` };
  const replica = outdated.filter((pod) => pod.name !== primary).sort((a, b) => b.ordinal - a.ordinal)[0];
  if (replica) return { action: "delete", pod: replica.name, reason: `${replica.name} runs an old template (replicas roll first)` };
  return { action: "switchover", reason: `the primary ${primary} runs an old template; switching over before restarting it` };
}

/** Scaling in removes the highest ordinals; the primary among them is switched over first. */
export function primaryBlocksScaleIn(primary: string | undefined, primaryOrdinal: number | undefined, desiredReplicas: number): boolean {
  return primary !== undefined && primaryOrdinal !== undefined && primaryOrdinal >= desiredReplicas;
}

export interface ClaimState {
  name: string;
  requested?: string;
}

/** PVCs whose request is smaller than the spec's size (volumes only grow; CEL refuses shrinking). */
export function claimsToGrow(claims: ClaimState[], size: string): string[] {
  const wanted = parseMemory(size);
  if (wanted === undefined) return [];
  return claims.filter((claim) => {
    const current = claim.requested ? parseMemory(claim.requested) : undefined;
    return current !== undefined && current < wanted;
  }).map((claim) => claim.name);
}
