/**
 * Observation: every instance's pod and INFO, read in parallel, turned into the planner's
 * views, status.instances and the Replicating and PrimaryAvailable conditions.
 *
 * status.instances is also the crash-safe memory the planner needs across reconciles and
 * operator restarts: each instance's last replication position (`<replid>:<offset>`) and
 * whether it was streaming from the primary. An instance that does not answer keeps what was
 * recorded; while the primary is down, so does one that restarted (its history is gone, but
 * what it had acknowledged before is exactly what the failover must not lose).
 */
import type { InstanceStatus } from "../../shared/api/index.js";
import type { KubeObject } from "../../shared/k8s/client.js";
import { describeError } from "../common/errors.js";
import { ordinalOf } from "../common/names.js";
import { instancesToObserve, podFacts, type PodFacts } from "../common/observed-pods.js";
import type { ConditionInput, EngineContext, Observation } from "../engine.js";
import { RedisSession, type RedisEndpoint } from "./client.js";
import { formatPosition, parsePosition, type RedisFacts } from "./info.js";
import { redisNames } from "./names.js";
import { chooseFailoverCandidate, inLineage, isStreamingFrom, primaryHealth, type FailoverPlan, type RedisInstanceView } from "./planner.js";

export interface RedisObservation extends Observation {
  views: RedisInstanceView[];
  readings: InstanceReading[];
  /** status.currentPrimary, when it names an instance. */
  primaryName?: string;
  primaryHealthy: boolean;
  primaryProblem?: string;
  /** The replication history the primary is (or was last seen) on. */
  lineage?: string;
}

export const STREAMING = "Streaming";

export interface InstanceReading {
  name: string;
  pod: PodFacts;
  facts?: RedisFacts;
  /** Reached over TLS (it serves the TLS port). */
  tls?: boolean;
  /** When the certificate it presented expires (TLS only): tls-reload.ts compares it with the current one. */
  presentedNotAfter?: Date;
  error?: string;
}

/** Reads one instance; one that does not answer gives its error instead of facts. */
export async function readInstance(name: string, endpoint: RedisEndpoint): Promise<Omit<InstanceReading, "name" | "pod">> {
  let session: RedisSession | undefined;
  try {
    session = await RedisSession.open(name, endpoint);
    return { facts: await session.info(), tls: session.tls, presentedNotAfter: session.presentedNotAfter() };
  } catch (error) {
    return { error: describeError(error) };
  } finally {
    session?.destroy();
  }
}

/** The planner's view of an instance, with what the previous status recorded about it. */
export function instanceView(reading: InstanceReading, previous: InstanceStatus | undefined): RedisInstanceView {
  const view: RedisInstanceView = {
    name: reading.name,
    ordinal: ordinalOf(reading.name),
    podExists: reading.pod.exists,
    podReady: reading.pod.ready,
    terminating: reading.pod.terminating,
    label: reading.pod.role,
  };
  if (reading.facts) view.facts = reading.facts;
  const position = parsePosition(previous?.position);
  if (position) view.last = { ...position, streaming: previous?.replication === STREAMING };
  return view;
}

/** The replication history the primary was on: as recorded, else as its replicas report it. */
export function primaryLineage(views: RedisInstanceView[], primary: string | undefined, primaryHost: string | undefined): string | undefined {
  const view = views.find((candidate) => candidate.name === primary);
  if (view?.facts?.role === "master") return view.facts.replid;
  if (view?.last) return view.last.replid;
  const followers = views.filter((candidate) => candidate.facts?.role === "slave" && candidate.facts.masterHost === primaryHost && candidate.facts.offset > 0);
  const counts = new Map<string, number>();
  for (const follower of followers) counts.set(follower.facts!.replid, (counts.get(follower.facts!.replid) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}

export function replicationWords(view: RedisInstanceView, primary: RedisInstanceView | undefined, primaryHost: string | undefined): string | undefined {
  const facts = view.facts;
  if (!facts) return undefined;
  if (facts.loading) return "Loading";
  if (facts.role === "master") return primary && view.name === primary.name ? `Primary (${facts.replicas.filter((link) => link.state === "online").length} replicas online)` : "Primary (unexpected)";
  if (primary && primaryHost && isStreamingFrom(view, primary, primaryHost)) return STREAMING;
  if (facts.syncInProgress) return "Copying";
  if (facts.linkUp) return "Following another instance";
  return "Connecting";
}

export interface StatusInput {
  view: RedisInstanceView;
  reading: InstanceReading;
  previous?: InstanceStatus;
  primary?: RedisInstanceView;
  primaryHost?: string;
  primaryHealthy: boolean;
  lineage?: string;
}

/**
 * The instance's status entry. What it records is what the planner reads back next time, so
 * a position that would erase the evidence a pending failover needs is kept as it was.
 */
export function instanceStatus(input: StatusInput): InstanceStatus {
  const { view, reading, previous, primary, primaryHost } = input;
  const facts = view.facts;
  const isPrimary = primary !== undefined && view.name === primary.name;
  const role: InstanceStatus["role"] = isPrimary ? "primary" : facts?.role === "slave" ? "replica" : facts ? "unknown" : (previous?.role ?? "unknown");
  const status: InstanceStatus = { name: view.name, role, ready: view.podReady && facts !== undefined && !facts.loading };
  const messages: string[] = [];
  const keepRecord =
    !facts ||
    (!input.primaryHealthy && view.last !== undefined && view.last.replid === input.lineage && !inLineage(view, input.lineage));
  if (keepRecord) {
    if (previous?.position) status.position = previous.position;
    if (previous?.replication) status.replication = previous.replication;
    if (facts) messages.push("restarted while the primary is down; position as recorded before the restart, until the failover decides");
  } else if (facts) {
    status.position = formatPosition(facts.replid, facts.offset);
    const words = replicationWords(view, primary, primaryHost);
    if (words) status.replication = words;
  }
  if (facts) {
    status.readOnly = facts.role !== "master";
    if (facts.role === "slave" && facts.lastIoSecondsAgo !== undefined && facts.lastIoSecondsAgo >= 0 && facts.linkUp) status.lagSeconds = facts.lastIoSecondsAgo;
    if (!facts.lastBgsaveOk) messages.push("the last RDB snapshot failed (see the server log)");
    if (!facts.lastAofWriteOk) messages.push("the last append-only file write failed (disk full?)");
  }
  if (!reading.pod.exists) messages.push("pod does not exist yet");
  else if (!facts && reading.error) messages.push(`does not answer: ${reading.error}${previous?.position ? "; position as last seen" : ""}`);
  if (messages.length > 0) status.message = messages.join("; ").slice(0, 1000);
  return status;
}

/** The Replicating condition: every replica streams from the primary. */
export function replicatingCondition(views: RedisInstanceView[], primary: RedisInstanceView | undefined, primaryHost: string | undefined, replicas: number): ConditionInput {
  if (replicas < 2) return { type: "Replicating", status: "True", reason: "SingleInstance", message: "A single instance has nothing to replicate to" };
  if (!primary || !primaryHost) return { type: "Replicating", status: "False", reason: "NoPrimary", message: "There is no primary yet; replication starts once one is chosen" };
  const behind: string[] = [];
  for (const view of views) {
    if (view.name === primary.name) continue;
    if (!isStreamingFrom(view, primary, primaryHost)) behind.push(`${view.name}: ${view.facts ? replicationWords(view, primary, primaryHost) : "does not answer"}`);
  }
  if (behind.length === 0) return { type: "Replicating", status: "True", reason: "AllReplicasStreaming", message: `Every replica streams from ${primary.name}` };
  return { type: "Replicating", status: "False", reason: "ReplicasNotStreaming", message: `${behind.join("; ")}; the operator re-points or waits for them` };
}

/** What a pending failover will do, in words for the Degraded condition. */
export function describeFailoverPlan(plan: FailoverPlan, delaySeconds: number): string {
  switch (plan.action) {
    case "promote":
      return `the operator promotes ${plan.candidate} once this has lasted ${delaySeconds}s (${plan.reason})`;
    case "reopen":
      return `the operator lets it resume once this has lasted ${delaySeconds}s (${plan.reason})`;
    case "wait":
      return `no replica can be promoted yet: ${plan.reason}`;
  }
}

/**
 * Reads every instance (pods from the list prepare made, INFO in parallel) and turns it into
 * the observation heal works from. `count` instances are expected; pods beyond it (a scale-in
 * in progress) are observed until they are gone.
 */
export async function observeCluster(
  context: EngineContext,
  pods: KubeObject[],
  count: number,
  endpoint: (pod: string) => RedisEndpoint,
  podAddress: (pod: string) => string,
): Promise<RedisObservation> {
  const { cluster, spec } = context;
  const names = redisNames(cluster);
  const podsByName = new Map(pods.map((pod) => [pod.metadata.name, pod]));
  const instanceNames = instancesToObserve(names.pod, count, pods);
  const previous = new Map((cluster.status?.instances ?? []).map((instance) => [instance.name, instance]));
  const readings = await Promise.all(
    instanceNames.map(async (name): Promise<InstanceReading> => {
      const pod = podFacts(name, podsByName.get(name));
      if (!pod.exists) return { name, pod, error: "no pod" };
      if (pod.initializing) return { name, pod, error: "initializing" };
      return { name, pod, ...(await readInstance(name, endpoint(name))) };
    }),
  );
  const views = readings.map((reading) => instanceView(reading, previous.get(reading.name)));
  const recorded = cluster.status?.currentPrimary;
  const primaryName = recorded && instanceNames.includes(recorded) ? recorded : undefined;
  const primaryView = views.find((view) => view.name === primaryName);
  const health = primaryName ? primaryHealth(primaryView, primaryName) : undefined;
  const primaryHealthy = health?.healthy === true;
  const primaryHost = primaryName ? podAddress(primaryName) : undefined;
  const lineage = primaryLineage(views, primaryName, primaryHost);
  const instances = views.map((view) =>
    instanceStatus({ view, reading: readings.find((reading) => reading.name === view.name)!, previous: previous.get(view.name), primary: primaryView, primaryHost, primaryHealthy, lineage }),
  );
  const desired = views.filter((view) => view.ordinal < spec.replicas);
  const problems: string[] = [];
  let primaryProblem: string | undefined;
  if (health && !health.healthy && primaryName) {
    const plan = chooseFailoverCandidate(views, primaryName, lineage, spec.failover.dataLoss);
    primaryProblem = health.reason;
    problems.push(`The primary ${health.reason}; ${describeFailoverPlan(plan, spec.failover.delaySeconds)}`);
  }
  if (primaryHealthy && primaryView?.facts?.goodReplicas === 0 && spec.replicas > 1) {
    problems.push(`The primary ${primaryName} refuses writes (NOREPLICAS): no replica acknowledged it within min-replicas-max-lag, which failover.dataLoss none requires; it accepts writes again once a replica streams`);
  }
  for (const view of desired) {
    const status = instances.find((instance) => instance.name === view.name)!;
    if (view.name === primaryName) continue;
    if (!status.ready) problems.push(`${view.name} is not ready${status.message ? ` (${status.message})` : ""}`);
    else if (primaryHealthy && primaryView && primaryHost && !isStreamingFrom(view, primaryView, primaryHost)) problems.push(`${view.name} is not streaming from the primary (${status.replication ?? "unknown"})`);
  }
  return {
    views,
    readings,
    primaryName,
    primaryHealthy,
    primaryProblem,
    lineage,
    instances,
    primary: primaryHealthy ? primaryName : undefined,
    readyReplicas: instances.filter((instance) => instance.ready && ordinalOf(instance.name) < spec.replicas).length,
    conditions: [replicatingCondition(desired, primaryHealthy ? primaryView : undefined, primaryHost, spec.replicas)],
    problems,
    provisioning: !cluster.status?.bootstrapped,
  };
}
