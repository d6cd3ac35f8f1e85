/**
 * The next change the operator makes to a RabbitMQ cluster, as pure functions of what
 * observation saw (STYLE.md habit 7). One disruptive step at a time, in this order:
 *   1. finish a scale-in: forget a removed node, then delete its volume
 *   2. scale out: raise the StatefulSet's replicas (new nodes join through classic_config)
 *   3. grow quorum queues onto running nodes that are not members yet
 *   4. roll pods that run an old template: highest ordinal first, only when every node runs,
 *      nothing is partitioned and the node is not quorum-critical
 *   5. scale in (only with spec.allowScaleDown): shrink quorum queues off the highest node,
 *      then remove its pod
 *   6. rebalance quorum queue leaders once a rolling change or a scale change is complete
 * The reconciler carries the step out; the next reconcile sees the result and plans again.
 */
import { ordinalOrUndefined } from "../common/names.js";
import type { QueueInfo, QuorumCheck } from "./client.js";
import type { Assessment, PodView } from "./health.js";
import { podOfNode } from "./names.js";

export type Action =
  | { kind: "none" }
  | { kind: "wait"; reason: string }
  | { kind: "restart"; pod: string; node: string; reason: string }
  | { kind: "scaleOut"; replicas: number; reason: string }
  | { kind: "grow"; node: string; queues: string[]; reason: string }
  | { kind: "shrink"; node: string; queues: string[]; reason: string }
  | { kind: "removePod"; pod: string; replicas: number; reason: string }
  | { kind: "forget"; node: string; reason: string }
  | { kind: "deleteClaim"; claim: string; reason: string }
  | { kind: "rebalance"; reason: string };

function short(node: string): string {
  return podOfNode(node) ?? node;
}

function queueName(queue: QueueInfo): string {
  return queue.vhost === "/" ? queue.name : `${queue.name} (vhost ${queue.vhost})`;
}

function isQuorum(queue: QueueInfo): boolean {
  return queue.type === "quorum";
}

/** A quorum queue declared with a smaller group size keeps it: growth fills only queues without that argument. */
function wantsEveryNode(queue: QueueInfo): boolean {
  return queue.arguments?.["x-quorum-initial-group-size"] === undefined;
}

// ---------------------------------------------------------------------------------------------
// Rolling changes

export type RollingPlan = { kind: "none" } | { kind: "wait"; reason: string } | { kind: "restart"; pod: string; node: string; reason: string };

/**
 * The next pod to restart for `updateRevision`, or why to wait. An outdated pod whose node does
 * not run goes first (it serves nothing, and the new template may be its fix); otherwise every
 * node must run with no partition and no pod away, and the highest outdated ordinal goes.
 */
export function planRolling(pods: PodView[], updateRevision: string | undefined, assessment: Assessment): RollingPlan {
  if (!updateRevision) return { kind: "none" };
  const outdated = pods.filter((pod) => pod.exists && pod.revision !== undefined && pod.revision !== updateRevision).sort((a, b) => b.ordinal - a.ordinal);
  if (outdated.length === 0) return { kind: "none" };
  const away = pods.find((pod) => pod.terminating || !pod.exists);
  if (away) return { kind: "wait", reason: `waiting for ${away.name} to come back before restarting the next node` };
  const stuck = outdated.find((pod) => !assessment.running.includes(pod.node) && !pod.ready);
  if (stuck) return { kind: "restart", pod: stuck.name, node: stuck.node, reason: `${stuck.name} runs an old template and its node is not running` };
  if (assessment.partitioned.length > 0) return { kind: "wait", reason: `waiting for the network partition to heal (${assessment.partitioned.map((p) => short(p.node)).join(", ")}) before restarting a node` };
  const notRunning = pods.filter((pod) => !assessment.running.includes(pod.node));
  if (notRunning.length > 0) return { kind: "wait", reason: `waiting for ${notRunning.map((pod) => pod.name).join(", ")} to run in the cluster before restarting the next node` };
  const next = outdated[0]!;
  return { kind: "restart", pod: next.name, node: next.node, reason: `${next.name} runs an old template (${outdated.length} of ${pods.length} left, highest ordinal first)` };
}

/** The restart may go ahead only if the node is not quorum-critical (checked on the node itself just before). */
export function gateRestart(plan: RollingPlan, check: QuorumCheck | { error: string } | undefined): RollingPlan {
  if (plan.kind !== "restart") return plan;
  if (check === undefined) return plan;
  if ("error" in check) return { kind: "wait", reason: `could not check whether ${plan.pod} is quorum-critical (${check.error}); not restarting it` };
  if (!check.critical) return plan;
  const queues = check.queues.length > 0 ? `: ${check.queues.slice(0, 10).join(", ")}${check.queues.length > 10 ? ` and ${check.queues.length - 10} more` : ""}` : "";
  return {
    kind: "wait",
    reason: `restarting ${plan.pod} now would make quorum queues unavailable (${check.reason}${queues}); waiting until their other members are online and caught up`,
  };
}

// ---------------------------------------------------------------------------------------------
// Scaling

export interface ScaleInput {
  specReplicas: number;
  /** The StatefulSet's replicas now. */
  currentReplicas: number;
  allowScaleDown: boolean;
  pods: PodView[];
  assessment: Assessment;
  queues: QueueInfo[] | undefined;
  /** Names of the cluster's data PVCs that exist, with their ordinals. */
  claims: { name: string; ordinal: number }[];
  /** The node name of an ordinal. */
  nodeOf: (ordinal: number) => string;
}

/** A scale-in that stopped halfway: a removed node the cluster still lists, or a removed node's volume. */
export function planScaleInCleanup(input: ScaleInput): Action {
  const { assessment, currentReplicas } = input;
  for (const member of assessment.members) {
    const pod = input.pods.find((candidate) => candidate.node === member);
    const ordinal = pod?.ordinal ?? ordinalOfNode(member);
    if (ordinal === undefined || ordinal < currentReplicas) continue;
    if (assessment.running.includes(member) || pod?.exists) return { kind: "wait", reason: `waiting for the removed node ${short(member)} to stop` };
    if (assessment.running.length === 0) return { kind: "wait", reason: `waiting for a running node to forget ${short(member)}` };
    return { kind: "forget", node: member, reason: `${short(member)} was removed by a scale-in; the cluster forgets it` };
  }
  const leftover = input.claims.filter((claim) => claim.ordinal >= currentReplicas && !input.pods.some((pod) => pod.ordinal === claim.ordinal && pod.exists)).sort((a, b) => b.ordinal - a.ordinal)[0];
  if (leftover && assessment.members.length > 0) return { kind: "deleteClaim", claim: leftover.name, reason: `the node of ${leftover.name} left the cluster; its data cannot rejoin, so its volume goes` };
  return { kind: "none" };
}

function ordinalOfNode(node: string): number | undefined {
  const pod = podOfNode(node);
  return pod ? ordinalOrUndefined(pod) : undefined;
}

export function planScaleOut(input: ScaleInput): Action {
  if (input.specReplicas <= input.currentReplicas) return { kind: "none" };
  return { kind: "scaleOut", replicas: input.specReplicas, reason: `scaling out from ${input.currentReplicas} to ${input.specReplicas} nodes` };
}

/** Quorum queues that lack a running node among their members (new nodes after a scale-out, a node that came back empty). */
export function planGrowth(input: ScaleInput): Action {
  if (!input.queues || !input.assessment.whole) return { kind: "none" };
  const eligible = input.pods
    .filter((pod) => pod.ordinal < Math.min(input.specReplicas, input.currentReplicas) && input.assessment.running.includes(pod.node))
    .sort((a, b) => a.ordinal - b.ordinal);
  for (const pod of eligible) {
    const lacking = input.queues.filter((queue) => isQuorum(queue) && wantsEveryNode(queue) && queue.members && !queue.members.includes(pod.node));
    if (lacking.length > 0) {
      return { kind: "grow", node: pod.node, queues: lacking.map(queueName), reason: `${lacking.length} quorum queue(s) have no replica on ${pod.name} yet` };
    }
  }
  return { kind: "none" };
}

/**
 * One step of removing the highest node: refused without spec.allowScaleDown; waits while the
 * cluster is not whole or while the node holds data that would be lost (durable classic queues,
 * quorum queues whose only member it is); shrinks quorum queues off it; then removes its pod.
 */
export function planScaleIn(input: ScaleInput): Action {
  const { specReplicas, currentReplicas, assessment } = input;
  if (specReplicas >= currentReplicas) return { kind: "none" };
  if (!input.allowScaleDown) {
    return { kind: "wait", reason: `spec.replicas ${specReplicas} is below the ${currentReplicas} running nodes, which removes nodes and their queue replicas; set spec.allowScaleDown: true to confirm, or set replicas back to ${currentReplicas}` };
  }
  const ordinal = currentReplicas - 1;
  const node = input.nodeOf(ordinal);
  const pod = input.pods.find((candidate) => candidate.ordinal === ordinal);
  if (!assessment.whole) return { kind: "wait", reason: `scale-in waits until every node runs with no partition before removing ${pod?.name ?? short(node)}` };
  if (!input.queues) return { kind: "wait", reason: `scale-in waits for the queue list to check what lives on ${short(node)}` };
  const classic = input.queues.filter((queue) => !isQuorum(queue) && queue.type !== "stream" && queue.durable && !queue.exclusive && queue.node === node);
  if (classic.length > 0) {
    return { kind: "wait", reason: `scale-in waits: durable classic queues live only on ${short(node)} (${classic.map(queueName).join(", ")}); delete them or move their messages, since removing the node would lose them` };
  }
  const onNode = input.queues.filter((queue) => isQuorum(queue) && queue.members?.includes(node));
  const alone = onNode.filter((queue) => queue.members!.length === 1);
  if (alone.length > 0) return { kind: "wait", reason: `scale-in waits: quorum queues have their only replica on ${short(node)} (${alone.map(queueName).join(", ")}); grow them onto other nodes first` };
  if (onNode.length > 0) return { kind: "shrink", node, queues: onNode.map(queueName), reason: `moving ${onNode.length} quorum queue replica(s) off ${short(node)} before removing it` };
  return { kind: "removePod", pod: pod?.name ?? short(node), replicas: ordinal, reason: `removing ${pod?.name ?? short(node)} (no queue replica left on it)` };
}

// ---------------------------------------------------------------------------------------------
// Everything together

/** How long a node may stay stuck (see Assessment.stuck) before the operator restarts it. */
export const STUCK_RESTART_MS = 30_000;

/**
 * A node that does not serve although a majority runs and the network to it works: paused by
 * pause_minority and not rejoining, or hung in its boot (both seen on 3.10.8 / Erlang 25.2.3,
 * both rare; normally they clear within seconds). A restart makes it rejoin. It serves nothing
 * meanwhile, so restarting it cannot cost quorum.
 */
export function planStuckRestart(pods: PodView[], assessment: Assessment, stuckForMs: Record<string, number>): Action {
  const node = assessment.stuck.filter((candidate) => (stuckForMs[candidate] ?? 0) >= STUCK_RESTART_MS).sort()[0];
  if (!node) return { kind: "none" };
  const pod = pods.find((candidate) => candidate.node === node);
  if (!pod) return { kind: "none" };
  return { kind: "restart", pod: pod.name, node, reason: `${pod.name} has not served for ${Math.round(stuckForMs[node]! / 1000)} s although a majority runs and the network to it works (paused by pause_minority, or hung starting); a restart makes it rejoin` };
}

export interface PlanInput extends ScaleInput {
  updateRevision: string | undefined;
  /** The quorum-critical check of the rolling candidate, made by observation. */
  quorumCheck?: QuorumCheck | { error: string };
  /** A rolling or scale change was in progress at the last reconcile (from the conditions). */
  wasChanging: boolean;
  /** How long each stuck node has been stuck (see planStuckRestart). */
  stuckForMs?: Record<string, number>;
}

export interface Plan {
  action: Action;
  /** For the RollingUpdate condition: pods still on an old template, and the rolling step or wait. */
  rolling: RollingPlan;
  /** For the Scaling condition: the scale step or wait, if any scale change is pending. */
  scaling: Action;
}

export function planNext(input: PlanInput): Plan {
  const rolling = gateRestart(planRolling(input.pods, input.updateRevision, input.assessment), input.quorumCheck);
  const cleanup = planScaleInCleanup(input);
  const scaleOut = planScaleOut(input);
  const scaleIn = planScaleIn(input);
  const scaling = cleanup.kind !== "none" ? cleanup : scaleOut.kind !== "none" ? scaleOut : scaleIn;
  const done = (action: Action): Plan => ({ action, rolling, scaling });
  const unstick = planStuckRestart(input.pods, input.assessment, input.stuckForMs ?? {});
  if (unstick.kind !== "none") return done(unstick);
  // A half-finished scale-in goes first: a node the cluster forgot must not come back with its old data.
  if (cleanup.kind !== "none") return done(cleanup);
  if (scaleOut.kind !== "none") return done(scaleOut);
  const grow = planGrowth(input);
  if (grow.kind !== "none") return done(grow);
  if (rolling.kind === "restart") return done(rolling);
  if (rolling.kind === "wait") return done(rolling);
  if (scaleIn.kind !== "none") return done(scaleIn);
  if (input.wasChanging && input.assessment.whole) return done({ kind: "rebalance", reason: "the change is complete; spreading quorum queue leaders over the nodes again" });
  return done({ kind: "none" });
}
