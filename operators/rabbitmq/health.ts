/**
 * The cluster's health from what its nodes said about each other, as a pure function
 * (STYLE.md habit 7): membership, which nodes run, partitions, alarms, and the sentences the
 * conditions carry. RabbitMQ has no primary: the view that counts is the one most answering
 * nodes agree on (with pause_minority the minority side pauses and does not answer at all).
 */
import type { NodeInfo } from "./client.js";
import { podOfNode } from "./names.js";

/** One pod as the planners see it. */
export interface PodView {
  name: string;
  ordinal: number;
  node: string;
  exists: boolean;
  ready: boolean;
  terminating: boolean;
  /** controller-revision-hash: which pod template it runs. */
  revision?: string;
  /** When the RabbitMQ container started running (undefined while it does not run). */
  engineRunningSince?: Date;
  engineRestarts: number;
}

/** What one node's management API answered (`nodes`), or why it did not (`error`). */
export interface NodeReport {
  node: string;
  nodes?: NodeInfo[];
  error?: string;
  /** Its node-local check timed out: nothing answers at its address (its network is cut, or the host is gone). */
  timedOut?: boolean;
  /** Its management port refused the connection: the address answers, RabbitMQ does not serve. */
  refused?: boolean;
  /** It serves (its node-local check answered) but its view of the cluster waits for a peer it cannot reach. */
  viewBlocked?: boolean;
}

export interface Assessment {
  /** Every node some answering node lists as a cluster member. */
  members: string[];
  /** Members the reference view says run. */
  running: string[];
  /** Nodes that answered for themselves. */
  answering: string[];
  /** Per node that does not run (or did not answer), why, in a few words. */
  down: { node: string; reason: string }[];
  /** Nodes cut off from the others: reported by RabbitMQ, or paused while their pod runs. */
  partitioned: { node: string; reason: string }[];
  alarms: { node: string; alarm: "memory" | "disk" }[];
  /**
   * Members that do not serve while a majority runs, whose container has run for a while and
   * whose address answers but whose management listener refuses: paused by pause_minority
   * although the network to it works, or hung in its boot after its tables synced (both seen
   * on 3.10.8 / Erlang 25.2.3; both normally clear within seconds).
   */
  stuck: string[];
  /** Nodes that serve but whose view of the cluster waits for an unreachable peer (until net_ticktime passes). */
  viewsBlocked: string[];
  /** More than one cluster formed (each listed as its members). */
  splitClusters?: string[][];
  /** Every desired node is a running member of one cluster, with no partition. */
  whole: boolean;
}

/** How long a running container may take to boot RabbitMQ before "not running" means "cut off". */
export const BOOT_GRACE_MS = 90_000;

/**
 * With a majority running, a booting node syncs its tables from them and serves within ~20 s
 * here; one that has not after this long (its container running) is stuck.
 */
export const STUCK_AFTER_MS = 60_000;

function short(node: string): string {
  return podOfNode(node) ?? node;
}

function referenceView(reports: NodeReport[]): NodeInfo[] | undefined {
  const answered = reports.filter((report): report is NodeReport & { nodes: NodeInfo[] } => report.nodes !== undefined);
  if (answered.length === 0) return undefined;
  const key = (nodes: NodeInfo[]) => nodes.filter((n) => n.running).map((n) => n.name).sort().join(",");
  const votes = new Map<string, { count: number; nodes: NodeInfo[] }>();
  for (const report of answered) {
    const entry = votes.get(key(report.nodes)) ?? { count: 0, nodes: report.nodes };
    entry.count++;
    votes.set(key(report.nodes), entry);
  }
  return [...votes.values()].sort((a, b) => b.count - a.count)[0]!.nodes;
}

function distinctClusters(reports: NodeReport[]): string[][] {
  const clusters: string[][] = [];
  for (const report of reports) {
    if (!report.nodes) continue;
    const members = report.nodes.map((n) => n.name).sort();
    if (!clusters.some((cluster) => cluster.some((member) => members.includes(member)))) clusters.push(members);
  }
  return clusters;
}

export function assessCluster(pods: PodView[], reports: NodeReport[], desiredNodes: string[], now: Date): Assessment {
  const view = referenceView(reports);
  const members = [...new Set(reports.flatMap((report) => report.nodes?.map((n) => n.name) ?? []))].sort();
  // "running" in /api/nodes means the node's database runs: the others still list a cut-off node
  // as running until net_ticktime passes, and list a node whose boot hangs after its tables
  // synced. A node counts as running only if its own RabbitMQ container runs and its own
  // management listener answers.
  const timedOut = new Set(reports.filter((r) => r.timedOut).map((r) => r.node));
  const refused = new Set(reports.filter((r) => r.refused).map((r) => r.node));
  const podByNode = new Map(pods.map((pod) => [pod.node, pod]));
  const containerRuns = (node: string) => {
    const pod = podByNode.get(node);
    return pod === undefined || (pod.exists && pod.engineRunningSince !== undefined);
  };
  const blocked = reports.filter((r) => r.viewBlocked).map((r) => r.node);
  // Without any view (every node waits for an unreachable peer) the nodes that serve are those
  // whose local check answered; the planners do nothing meanwhile (not whole).
  const running = (view ? view.filter((n) => n.running).map((n) => n.name) : blocked).filter((node) => !timedOut.has(node) && !refused.has(node) && containerRuns(node)).sort();
  const answering = reports.filter((report) => report.nodes !== undefined).map((report) => report.node);
  const errorByNode = new Map(reports.filter((r) => r.error).map((r) => [r.node, r.error!]));

  const down: Assessment["down"] = [];
  const partitioned: Assessment["partitioned"] = [];
  for (const node of [...new Set([...desiredNodes, ...members])].sort()) {
    if (running.includes(node)) continue;
    const pod = podByNode.get(node);
    const error = errorByNode.get(node);
    let reason: string;
    if (!pod?.exists) reason = "its pod does not exist";
    else if (pod.terminating) reason = "its pod is stopping";
    else if (!pod.engineRunningSince) reason = "its RabbitMQ container is not running";
    else if (!members.includes(node) && view) reason = "it has not joined the cluster yet";
    else reason = error ? `not running (its management API: ${error})` : "not running";
    down.push({ node, reason });
    const runningFor = pod?.engineRunningSince ? now.getTime() - pod.engineRunningSince.getTime() : 0;
    const live = pod?.exists === true && !pod.terminating && pod.engineRunningSince !== undefined;
    // Nothing answering at all (not even a refusal) is the network, whether or not the node has booted.
    if (live && timedOut.has(node)) {
      partitioned.push({
        node,
        reason: `${short(node)} does not answer at its address although its container runs: its network is cut off; pause_minority pauses it until it reaches a majority again`,
      });
    } else if (view && live && runningFor > BOOT_GRACE_MS && members.includes(node)) {
      partitioned.push({
        node,
        reason: `${short(node)} is cut off from ${running.map(short).join(", ") || "the other nodes"}: its container has run for ${Math.round(runningFor / 1000)} s but the cluster sees it down; pause_minority keeps it paused until it reaches a majority again`,
      });
    }
  }
  // What RabbitMQ itself reports (a partition seen after it healed, or with another partition handling).
  for (const report of reports) {
    for (const entry of report.nodes ?? []) {
      if (entry.running && entry.partitions && entry.partitions.length > 0 && !partitioned.some((p) => p.node === entry.name)) {
        partitioned.push({ node: entry.name, reason: `${short(entry.name)} reports a network partition with ${entry.partitions.map(short).join(", ")}` });
      }
    }
  }
  const majority = running.length > desiredNodes.length / 2;
  const stuck = members.filter((node) => {
    const pod = podByNode.get(node);
    const runningFor = pod?.engineRunningSince ? now.getTime() - pod.engineRunningSince.getTime() : 0;
    return majority && !running.includes(node) && refused.has(node) && pod?.exists === true && !pod.terminating && runningFor > STUCK_AFTER_MS;
  });
  const alarms: Assessment["alarms"] = [];
  for (const entry of view ?? []) {
    if (entry.mem_alarm) alarms.push({ node: entry.name, alarm: "memory" });
    if (entry.disk_free_alarm) alarms.push({ node: entry.name, alarm: "disk" });
  }
  const clusters = distinctClusters(reports);
  const assessment: Assessment = {
    members,
    running,
    answering,
    down,
    partitioned,
    alarms,
    stuck,
    viewsBlocked: blocked,
    whole: desiredNodes.every((node) => running.includes(node)) && partitioned.length === 0 && clusters.length <= 1 && blocked.length === 0,
  };
  if (clusters.length > 1) assessment.splitClusters = clusters;
  return assessment;
}

/** Sentences for the Degraded condition: what is wrong and what happens about it. */
export function healthProblems(assessment: Assessment): string[] {
  const problems: string[] = [];
  if (assessment.splitClusters) {
    problems.push(
      `the nodes formed ${assessment.splitClusters.length} separate clusters (${assessment.splitClusters.map((c) => `[${c.map(short).join(", ")}]`).join(" and ")}); reset the smaller side's nodes (delete their pods and volumes) so they join the larger one`,
    );
  }
  for (const partition of assessment.partitioned) problems.push(`network partition: ${partition.reason}`);
  if (assessment.viewsBlocked.length > 0) {
    problems.push(`${assessment.viewsBlocked.map(short).join(", ")} serve${assessment.viewsBlocked.length === 1 ? "s" : ""} but cannot list the cluster: a peer does not answer; RabbitMQ gives up on it after net_ticktime (up to ~75 s), changes wait until then`);
  }
  for (const entry of assessment.down) {
    if (assessment.partitioned.some((p) => p.node === entry.node) || assessment.viewsBlocked.includes(entry.node)) continue;
    problems.push(`${short(entry.node)} is not running: ${entry.reason}; waiting for it to start and rejoin`);
  }
  for (const alarm of assessment.alarms) {
    problems.push(
      alarm.alarm === "memory"
        ? `${short(alarm.node)} raised its memory alarm: publishers are blocked until consumers drain queues or the memory limit grows`
        : `${short(alarm.node)} raised its disk alarm: publishers are blocked until disk space is freed or the volume grows`,
    );
  }
  return problems;
}
