/**
 * Observation: the pods, the StatefulSet and the volumes from the API server, every node's view
 * of the cluster from its management API (in parallel, each with a timeout), the queues, and the
 * quorum-critical check of the node a rolling change would restart next. Turned into the plan
 * (planner.ts), status.instances and the engine's conditions.
 */
import type { InstanceStatus } from "../../shared/api/index.js";
import { RESOURCES, type KubeObject } from "../../shared/k8s/client.js";
import { getCondition } from "../../shared/conditions.js";
import type { StatefulSetObject } from "../common/cluster-state.js";
import { labelSelector, ordinalOrUndefined } from "../common/names.js";
import type { ClaimObject } from "../common/volume-growth.js";
import type { ConditionInput, EngineContext, Observation } from "../engine.js";
import { ManagementClient, managementUrl, type Credentials, type QueueInfo, type QuorumCheck } from "./client.js";
import { assessCluster, healthProblems, type Assessment, type NodeReport, type PodView } from "./health.js";
import { ADMIN_USER, PORTS, podOfNode, podSelector, rabbitmqNames, type RabbitmqNames } from "./names.js";
import { planNext, planRolling, type Action, type Plan } from "./planner.js";
import { ENGINE_CONTAINER } from "./resources/statefulset.js";
import { capabilitiesOf, parseRabbitmqVersion, type RabbitmqCapabilities } from "./version.js";

/** The node-local check is cheap: a node that does not answer it this fast is not reachable. */
const LOCAL_CHECK_TIMEOUT_MS = 3_000;

export const CONDITIONS = {
  rolling: "RollingUpdate",
  scaling: "Scaling",
  partition: "NetworkPartition",
  alarms: "ResourceAlarms",
} as const;

interface PodLike extends KubeObject {
  status?: {
    conditions?: { type: string; status: string }[];
    containerStatuses?: { name: string; restartCount?: number; state?: { running?: { startedAt?: string } } }[];
  };
}

export function podView(names: RabbitmqNames, ordinal: number, pod: PodLike | undefined): PodView {
  const name = names.pod(ordinal);
  const node = names.node(name);
  if (!pod) return { name, ordinal, node, exists: false, ready: false, terminating: false, engineRestarts: 0 };
  const engine = pod.status?.containerStatuses?.find((status) => status.name === ENGINE_CONTAINER);
  const startedAt = engine?.state?.running?.startedAt;
  return {
    name,
    ordinal,
    node,
    exists: true,
    ready: pod.status?.conditions?.some((condition) => condition.type === "Ready" && condition.status === "True") ?? false,
    terminating: Boolean(pod.metadata.deletionTimestamp),
    revision: pod.metadata.labels?.["controller-revision-hash"],
    engineRunningSince: startedAt ? new Date(startedAt) : undefined,
    engineRestarts: engine?.restartCount ?? 0,
  };
}

export interface RabbitmqObservation extends Observation {
  pods: PodView[];
  podUids: Map<string, string>;
  assessment: Assessment;
  queues?: QueueInfo[];
  capabilities?: RabbitmqCapabilities;
  serverVersion?: string;
  /** The StatefulSet's replicas now (undefined before it exists). */
  currentReplicas?: number;
  claims: { name: string; ordinal: number; size?: string }[];
  plan: Plan;
}

/** Where the operator reaches a pod's management API and agent: its StatefulSet DNS name. */
export type PodAddress = (names: RabbitmqNames, pod: string) => string;
export const podDnsAddress: PodAddress = (names, pod) => names.podHost(pod);

export interface ObserveOptions {
  credentials: Credentials;
  address: PodAddress;
  timeoutMs?: number;
  /** When each node was first seen stuck (assessment.stuck), kept by the engine across reconciles. */
  stuckSince?: Map<string, number>;
  /** The cluster's CA when it serves TLS: the management API is then reached over verified HTTPS. */
  ca?: string;
}

export function managementClientFor(names: RabbitmqNames, pod: string, options: ObserveOptions): ManagementClient {
  const host = options.address(names, pod);
  const plain = managementUrl(host, PORTS.management);
  if (!options.ca) return new ManagementClient(plain, options.credentials, { timeoutMs: options.timeoutMs });
  return new ManagementClient(managementUrl(host, PORTS.managementTls, true), options.credentials, { timeoutMs: options.timeoutMs, ca: options.ca, plaintextFallbackUrl: plain });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message.replace(/^GET \/nodes on https?:\/\/[^ ]+: /, "") : String(error);
}

export async function observeCluster(context: EngineContext, options: ObserveOptions): Promise<RabbitmqObservation> {
  const { client, cluster, spec } = context;
  const names = rabbitmqNames(cluster);
  const selector = labelSelector(podSelector(cluster));
  const [podList, statefulSet, claimList] = await Promise.all([
    client.list<PodLike>(RESOURCES.Pod, names.namespace, { labelSelector: selector }),
    client.get<StatefulSetObject>(RESOURCES.StatefulSet, names.namespace, names.statefulSet),
    client.list<ClaimObject>(RESOURCES.PersistentVolumeClaim, names.namespace, { labelSelector: selector }),
  ]);
  const currentReplicas = statefulSet?.spec?.replicas;
  const byName = new Map(podList.items.map((pod) => [pod.metadata.name, pod]));
  const ordinals = podList.items.map((pod) => ordinalOrUndefined(pod.metadata.name)).filter((o): o is number => o !== undefined);
  const count = Math.max(currentReplicas ?? spec.replicas, ...ordinals.map((o) => o + 1));
  const pods = Array.from({ length: count }, (_, ordinal) => podView(names, ordinal, byName.get(names.pod(ordinal))));
  const podUids = new Map(podList.items.filter((pod) => pod.metadata.uid).map((pod) => [pod.metadata.name, pod.metadata.uid!]));
  const claims = claimList.items
    .map((claim) => ({ name: claim.metadata.name, ordinal: claimOrdinal(names, claim.metadata.name), size: claim.spec?.resources?.requests?.storage }))
    .filter((claim): claim is { name: string; ordinal: number; size: string | undefined } => claim.ordinal !== undefined);

  const asked = pods.filter((pod) => pod.exists && !pod.terminating && pod.engineRunningSince);
  const reports: NodeReport[] = await Promise.all(
    asked.map(async (pod): Promise<NodeReport> => {
      const management = managementClientFor(names, pod.name, options);
      try {
        await management.localAlarms(LOCAL_CHECK_TIMEOUT_MS);
      } catch (error) {
        const text = errorText(error);
        return { node: pod.node, error: text, timedOut: text.includes("no answer within"), refused: text.includes("ECONNREFUSED") };
      }
      try {
        return { node: pod.node, nodes: await management.nodes() };
      } catch (error) {
        // It runs (it answered the local check) but its view of the cluster waits for a peer.
        return { node: pod.node, error: `its view of the cluster did not arrive (${errorText(error)}): it waits for a peer it cannot reach`, viewBlocked: true };
      }
    }),
  );
  const desiredNodes = pods.filter((pod) => pod.ordinal < (currentReplicas ?? spec.replicas)).map((pod) => pod.node);
  const now = context.now();
  const assessment = assessCluster(pods, reports, desiredNodes, now);

  // A running node to ask cluster-wide questions: the lowest ordinal that answered.
  const speaker = pods.find((pod) => assessment.answering.includes(pod.node) && assessment.running.includes(pod.node));
  let serverVersion: string | undefined;
  let queues: QueueInfo[] | undefined;
  if (speaker) {
    const management = managementClientFor(names, speaker.name, options);
    [serverVersion, queues] = await Promise.all([
      management.overview().then((overview) => overview.rabbitmq_version, () => undefined),
      management.queues().catch(() => undefined),
    ]);
  }
  const version = serverVersion ? parseRabbitmqVersion(serverVersion) : undefined;
  const capabilities = version ? capabilitiesOf(version) : undefined;

  const updateRevision = statefulSet?.status?.updateRevision;
  const candidate = planRolling(pods, updateRevision, assessment);
  let quorumCheck: QuorumCheck | { error: string } | undefined;
  if (candidate.kind === "restart" && assessment.running.includes(candidate.node)) {
    try {
      quorumCheck = await managementClientFor(names, candidate.pod, options).quorumCritical();
    } catch (error) {
      quorumCheck = { error: errorText(error) };
    }
  }
  const stuckForMs = trackStuck(options.stuckSince, `${names.namespace}/${names.cluster}`, assessment.stuck, now.getTime());
  const previous = cluster.status?.conditions;
  const wasChanging = getCondition(previous, CONDITIONS.rolling)?.status === "True" || getCondition(previous, CONDITIONS.scaling)?.status === "True";
  const plan = planNext({
    specReplicas: spec.replicas,
    currentReplicas: currentReplicas ?? spec.replicas,
    allowScaleDown: spec.allowScaleDown,
    pods,
    assessment,
    queues,
    claims,
    nodeOf: (ordinal) => names.node(names.pod(ordinal)),
    updateRevision,
    quorumCheck,
    wasChanging,
    stuckForMs,
  });

  const problems = healthProblems(assessment);
  if (plan.scaling.kind === "wait" && !spec.allowScaleDown && spec.replicas < (currentReplicas ?? spec.replicas)) problems.push(plan.scaling.reason);
  const instances = pods.map((pod) => instanceStatus(pod, assessment, queues));
  return {
    instances,
    readyReplicas: pods.filter((pod) => pod.ready && assessment.running.includes(pod.node)).length,
    conditions: conditionsOf(assessment, plan, pods, updateRevision),
    problems,
    provisioning: !cluster.status?.bootstrapped,
    pods,
    podUids,
    assessment,
    queues,
    capabilities,
    serverVersion,
    currentReplicas,
    claims,
    plan,
  };
}

/** How long each stuck node has been seen stuck (a node that is not stuck now starts over). */
export function trackStuck(since: Map<string, number> | undefined, cluster: string, stuck: string[], nowMs: number): Record<string, number> {
  if (!since) return {};
  for (const key of [...since.keys()]) if (key.startsWith(`${cluster} `) && !stuck.includes(key.slice(cluster.length + 1))) since.delete(key);
  const result: Record<string, number> = {};
  for (const node of stuck) {
    const key = `${cluster} ${node}`;
    if (!since.has(key)) since.set(key, nowMs);
    result[node] = nowMs - since.get(key)!;
  }
  return result;
}

function claimOrdinal(names: RabbitmqNames, claim: string): number | undefined {
  const prefix = `data-${names.statefulSet}-`;
  if (!claim.startsWith(prefix)) return undefined;
  const rest = claim.slice(prefix.length);
  return /^\d+$/.test(rest) ? Number(rest) : undefined;
}

export function instanceStatus(pod: PodView, assessment: Assessment, queues: QueueInfo[] | undefined): InstanceStatus {
  const running = assessment.running.includes(pod.node);
  const status: InstanceStatus = { name: pod.name, role: "member", ready: pod.ready && running };
  const partition = assessment.partitioned.find((entry) => entry.node === pod.node);
  status.replication = partition ? "Partitioned" : running ? "Running" : assessment.members.includes(pod.node) ? "Stopped" : "NotJoined";
  const leaders = queues?.filter((queue) => queue.leader === pod.node).length;
  if (leaders !== undefined) status.position = `${leaders} quorum queue leader(s)`;
  const messages: string[] = [];
  const down = assessment.down.find((entry) => entry.node === pod.node);
  if (partition) messages.push(partition.reason);
  else if (down) messages.push(down.reason);
  for (const alarm of assessment.alarms.filter((entry) => entry.node === pod.node)) messages.push(`${alarm.alarm} alarm`);
  if (messages.length > 0) status.message = messages.join("; ").slice(0, 1000);
  return status;
}

function describeAction(action: Action): string {
  return "reason" in action ? action.reason : "";
}

export function conditionsOf(assessment: Assessment, plan: Plan, pods: PodView[], updateRevision: string | undefined): ConditionInput[] {
  const conditions: ConditionInput[] = [];
  conditions.push(
    assessment.partitioned.length > 0
      ? { type: CONDITIONS.partition, status: "True", reason: "PartitionDetected", message: assessment.partitioned.map((p) => p.reason).join("; ") }
      : { type: CONDITIONS.partition, status: "False", reason: "NoPartition", message: "Every running node sees the others" },
  );
  conditions.push(
    assessment.alarms.length > 0
      ? { type: CONDITIONS.alarms, status: "True", reason: "AlarmRaised", message: assessment.alarms.map((a) => `${podOfNode(a.node) ?? a.node}: ${a.alarm}`).join(", ") + "; publishers are blocked while an alarm is raised" }
      : { type: CONDITIONS.alarms, status: "False", reason: "NoAlarm", message: "No memory or disk alarm" },
  );
  const outdated = updateRevision ? pods.filter((pod) => pod.exists && pod.revision !== undefined && pod.revision !== updateRevision).length : 0;
  if (plan.rolling.kind === "none") {
    conditions.push({ type: CONDITIONS.rolling, status: "False", reason: "UpToDate", message: "Every node runs the current pod template" });
  } else {
    conditions.push({
      type: CONDITIONS.rolling,
      status: "True",
      reason: plan.rolling.kind === "wait" ? "Waiting" : "Restarting",
      message: `${outdated} node(s) to restart one at a time, highest ordinal first: ${describeAction(plan.rolling)}`,
    });
  }
  if (plan.scaling.kind === "none") {
    conditions.push({ type: CONDITIONS.scaling, status: "False", reason: "AtDesiredSize", message: "The cluster has the nodes spec.replicas asks for" });
  } else {
    const refused = plan.scaling.kind === "wait" && plan.scaling.reason.includes("allowScaleDown");
    conditions.push({ type: CONDITIONS.scaling, status: "True", reason: refused ? "ScaleDownNotAllowed" : plan.scaling.kind === "wait" ? "Waiting" : "InProgress", message: describeAction(plan.scaling) });
  }
  return conditions;
}

/** The users Steward manages in the cluster (they get the Secrets' passwords, whatever a restore brought). */
export function managedUsers(appUser: string): string[] {
  return [ADMIN_USER, appUser];
}
