/**
 * The pure plan of a rolling change of the pod template (config, users, version) in an engine
 * with one primary: replicas first, then a switchover, then the old primary.
 */

export interface RollingPod {
  name: string;
  ordinal: number;
  /** The pod's controller-revision-hash label. */
  revision?: string;
  ready: boolean;
  /** Replicating from the primary without errors (or is the primary and writable), as the engine judges it. */
  healthy: boolean;
  terminating: boolean;
}

export type RollingPlan =
  | { action: "none" }
  | { action: "wait"; reason: string }
  | { action: "delete"; pod: string; reason: string }
  | { action: "switchover"; reason: string }
  | { action: "restartOnlyInstance"; pod: string; reason: string };

/**
 * One step of a rolling change to `updateRevision`. At most one pod is away at a time: while
 * any pod is terminating, or a pod that already runs the new template is not healthy, it
 * waits. Outdated replicas go first, highest ordinal first (an outdated replica that is not
 * even ready goes before all: it is not serving, and the new template may be its fix). When
 * only the primary is left, a switchover moves the primary to an updated replica; the old
 * primary then rolls as a replica. A single instance has nobody to switch over to: it restarts
 * in place, a short outage a one-instance cluster accepts.
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
  if (pods.length === 1 && primary) return { action: "restartOnlyInstance", pod: primary, reason: `the primary ${primary} runs an old template and is the only instance` };
  return { action: "switchover", reason: `the primary ${primary} runs an old template; switching over before restarting it` };
}
