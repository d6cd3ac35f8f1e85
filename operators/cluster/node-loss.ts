/**
 * A database pod on a lost node, the same for every engine. Kubernetes leaves such a pod alone:
 * the kubelet cannot confirm it stopped, so the pod stays (Running, then Ready=False once the
 * node controller marks the node, then Terminating after the unreachable toleration) until the
 * node returns or someone force-deletes it, and the StatefulSet cannot recreate a pod whose name
 * is still taken. The engines' failover does not wait for any of that (it acts on what the
 * database itself answers); this module decides what happens to the stuck pod:
 * - by default nothing: the pod waits for its node, and the cluster's Degraded message says so
 *   in words (a node that is merely partitioned still runs the database and may come back);
 * - the node carries `node.kubernetes.io/out-of-service` (an administrator's statement that the
 *   machine is off), or the cluster asks `spec.failover.nodeLoss: recreate` and every volume of
 *   the pod is network storage (a PV without node affinity, which another node can attach):
 *   the pod is force-deleted, with an Event, so the StatefulSet recreates it on a live node.
 *   Never the primary's pod: the engine moves the primary away first (a new primary on a live
 *   node is what clients wait for), and the pod that comes back is a replica.
 * Pure decisions (`decideNodeLoss`) apart from reading and deleting (`handleNodeLoss`).
 */
import { z } from "zod";
import { LABELS } from "../../shared/api/index.js";
import type { KubeClient, KubeObject } from "../../shared/k8s/client.js";
import { RESOURCES } from "../../shared/k8s/resources.js";
import { ROLE_PRIMARY } from "../common/names.js";
import type { EngineContext } from "../engine.js";

export const OUT_OF_SERVICE_TAINT = "node.kubernetes.io/out-of-service";
const UNREACHABLE_TAINT = "node.kubernetes.io/unreachable";
const NOT_READY_TAINT = "node.kubernetes.io/not-ready";

const nodeSchema = z.looseObject({
  metadata: z.looseObject({ name: z.string() }),
  spec: z.looseObject({ taints: z.array(z.looseObject({ key: z.string(), effect: z.string().optional() })).optional() }).optional(),
  status: z
    .looseObject({ conditions: z.array(z.looseObject({ type: z.string(), status: z.string(), reason: z.string().optional(), message: z.string().optional() })).optional() })
    .optional(),
});

const podSchema = z.looseObject({
  metadata: z.looseObject({ name: z.string(), uid: z.string().optional(), labels: z.record(z.string(), z.string()).optional(), deletionTimestamp: z.string().optional() }),
  spec: z.looseObject({
    nodeName: z.string().optional(),
    volumes: z.array(z.looseObject({ persistentVolumeClaim: z.looseObject({ claimName: z.string() }).optional() })).optional(),
  }),
});

const claimSchema = z.looseObject({ spec: z.looseObject({ volumeName: z.string().optional() }).optional() });
const volumeSchema = z.looseObject({ spec: z.looseObject({ nodeAffinity: z.unknown().optional() }).optional() });

export type NodeLossPolicy = "wait" | "recreate";

export interface LostNode {
  name: string;
  /** In words: what the node controller (or the administrator) said. */
  why: string;
  outOfService: boolean;
}

/** A node is lost when the node controller no longer finds it Ready, or it is gone, or an administrator declared it out of service. */
export function lostNode(name: string, node: unknown): LostNode | undefined {
  if (node === undefined) return { name, why: "the Node object is gone", outOfService: true };
  const parsed = nodeSchema.safeParse(node);
  if (!parsed.success) return undefined;
  const taints = parsed.data.spec?.taints ?? [];
  const outOfService = taints.some((t) => t.key === OUT_OF_SERVICE_TAINT);
  const ready = parsed.data.status?.conditions?.find((c) => c.type === "Ready");
  const unreachable = taints.some((t) => t.key === UNREACHABLE_TAINT || t.key === NOT_READY_TAINT);
  if (!outOfService && !unreachable && ready?.status === "True") return undefined;
  const parts: string[] = [];
  if (ready && ready.status !== "True") parts.push(`Ready is ${ready.status}${ready.message ? `: ${ready.message}` : ""}`);
  else if (unreachable) parts.push("tainted unreachable");
  if (outOfService) parts.push("an administrator marked it out of service");
  return { name, why: parts.join("; ") || "not ready", outOfService };
}

export interface StuckPod {
  pod: string;
  uid?: string;
  node: LostNode;
  primary: boolean;
  /** Every data volume is network storage (no node affinity): another node may attach it. */
  networkStorage: boolean;
}

export interface NodeLossDecision {
  problems: string[];
  /** Pods to force-delete, each with the Event's message. */
  delete: { pod: string; uid?: string; message: string }[];
}

export function decideNodeLoss(stuck: StuckPod[], policy: NodeLossPolicy): NodeLossDecision {
  const decision: NodeLossDecision = { problems: [], delete: [] };
  for (const entry of stuck) {
    const where = `${entry.pod} is on node ${entry.node.name}, which is lost (${entry.node.why})`;
    const recreate = entry.node.outOfService || (policy === "recreate" && entry.networkStorage);
    if (entry.primary) {
      decision.problems.push(`${where}; it is still the primary: failing over to a replica on a live node first`);
    } else if (recreate) {
      const because = entry.node.outOfService ? `node ${entry.node.name} is out of service` : "spec.failover.nodeLoss is recreate and its volume is network storage";
      decision.problems.push(`${where}; recreating it on a live node`);
      decision.delete.push({ pod: entry.pod, uid: entry.uid, message: `Force-deleted ${entry.pod} on lost node ${entry.node.name} (${because}): the StatefulSet recreates it on a live node` });
    } else {
      const how =
        policy === "recreate" && !entry.networkStorage
          ? "its volume is node-local, so it can only run there"
          : "set spec.failover.nodeLoss: recreate (network storage) or taint the node node.kubernetes.io/out-of-service to recreate it elsewhere";
      decision.problems.push(`${where}; Steward leaves the pod until the node returns (${how})`);
    }
  }
  return decision;
}

/**
 * Nodes read in the last two seconds, shared by every cluster's reconcile: a healthy cluster
 * looks at its nodes on each pass, and many clusters share few nodes.
 */
const NODE_CACHE_MS = 2000;
const nodeCache = new Map<string, { at: number; node: unknown }>();

async function readNode(client: KubeClient, name: string): Promise<unknown> {
  const cached = nodeCache.get(name);
  if (cached && Date.now() - cached.at < NODE_CACHE_MS) return cached.node;
  const node = await client.get(RESOURCES.Node, undefined, name);
  if (nodeCache.size > 1000) nodeCache.clear();
  nodeCache.set(name, { at: Date.now(), node });
  return node;
}

async function networkStorage(client: KubeClient, namespace: string, pod: z.infer<typeof podSchema>): Promise<boolean> {
  const claims = (pod.spec.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : []));
  for (const name of claims) {
    const claim = claimSchema.parse((await client.get(RESOURCES.PersistentVolumeClaim, namespace, name)) ?? {});
    if (!claim.spec?.volumeName) return false;
    const volume = volumeSchema.parse((await client.get(RESOURCES.PersistentVolume, undefined, claim.spec.volumeName)) ?? {});
    if (volume.spec?.nodeAffinity !== undefined) return false;
  }
  return true;
}

/**
 * Reads the cluster's pods and their nodes; returns the problems to report (the Degraded
 * message) and force-deletes the pods the policy allows, each with an Event. Reading Nodes or
 * PVs may be forbidden (a namespaced install without the node-reader ClusterRole): then it
 * reports nothing and deletes nothing.
 */
export async function handleNodeLoss(context: EngineContext, policy: NodeLossPolicy): Promise<string[]> {
  const { client, cluster } = context;
  const namespace = cluster.metadata.namespace ?? "default";
  const selector = { [LABELS.cluster]: cluster.metadata.name };
  const items = context.cache?.cachedList(RESOURCES.Pod, namespace, selector) ?? (await client.list<KubeObject>(RESOURCES.Pod, namespace, { labelSelector: `${LABELS.cluster}=${cluster.metadata.name}` })).items;
  const pods = { items };
  const nodes = new Map<string, LostNode | undefined>();
  const stuck: StuckPod[] = [];
  try {
    for (const raw of pods.items) {
      const pod = podSchema.safeParse(raw);
      if (!pod.success || !pod.data.spec.nodeName) continue;
      const nodeName = pod.data.spec.nodeName;
      if (!nodes.has(nodeName)) nodes.set(nodeName, lostNode(nodeName, await readNode(client, nodeName)));
      const node = nodes.get(nodeName);
      if (!node) continue;
      stuck.push({
        pod: pod.data.metadata.name,
        uid: pod.data.metadata.uid,
        node,
        primary: pod.data.metadata.labels?.[LABELS.role] === ROLE_PRIMARY,
        networkStorage: await networkStorage(client, namespace, pod.data),
      });
    }
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 403) return [];
    throw error;
  }
  const decision = decideNodeLoss(stuck, policy);
  for (const entry of decision.delete) {
    // Grace 0: the kubelet of a lost node cannot confirm anything; the uid keeps a replacement safe.
    const deleted = await client.delete(RESOURCES.Pod, namespace, entry.pod, { gracePeriodSeconds: 0, uid: entry.uid });
    if (deleted) await context.events.warning(cluster as unknown as KubeObject, "PodOnLostNodeDeleted", entry.message);
  }
  return decision.problems;
}
