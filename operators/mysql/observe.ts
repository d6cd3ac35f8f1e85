/**
 * Observation: every instance's pod and SQL state, read in parallel, turned into the
 * planner's views, the status.instances entries and the Replicating condition.
 */
import type { InstanceStatus, MysqlFlavor } from "../../shared/api/index.js";
import { describeError } from "../common/errors.js";
import { ordinalOf } from "../common/names.js";
import type { PodFacts } from "../common/observed-pods.js";
import type { ConditionInput } from "../engine.js";
import { InstanceSession, type Endpoint, type InstanceFacts } from "./client.js";
import { formatGtid, gtidMissingFrom, gtidUnion, isEmptyGtid, parseGtid, type GtidSet } from "./gtid.js";
import type { InstanceView } from "./planner.js";

export interface InstanceObservation {
  name: string;
  ordinal: number;
  pod: PodFacts;
  facts?: InstanceFacts;
  error?: string;
  view: InstanceView;
}

/** The planner's view of an instance from its facts (MariaDB errant check included). */
export function instanceView(flavor: MysqlFlavor, name: string, pod: PodFacts, facts: InstanceFacts | undefined, wasReplicating: boolean | undefined): InstanceView {
  const view: InstanceView = {
    name,
    ordinal: ordinalOf(name),
    reachable: facts !== undefined,
    podReady: pod.ready,
    terminating: pod.terminating,
    wasReplicating,
  };
  if (!facts) return view;
  const binlog = parseGtid(flavor, facts.variables.binlog);
  let executed: GtidSet = binlog;
  if (flavor === "mariadb") {
    const replicated = parseGtid(flavor, facts.variables.replicated);
    executed = gtidUnion(binlog, replicated);
    // With log_slave_updates every replicated transaction is in the binary log with the same
    // GTID that gtid_slave_pos records. A binary log GTID carrying this server's own id that
    // the slave position lacks was written locally on a replica: an errant transaction.
    // (Replicated GTIDs carry their origin's id; while a replica applies, its binary log may
    // run a moment ahead of gtid_slave_pos, so only its own id counts.)
    if (facts.replication && binlog.flavor === "mariadb") {
      const own: GtidSet = { flavor: "mariadb", position: new Map([...binlog.position].filter(([, gtid]) => gtid.server === facts.variables.serverId)) };
      const errant = gtidMissingFrom(own, replicated);
      if (!isEmptyGtid(errant)) view.errant = formatGtid(errant);
    }
  }
  view.readOnly = facts.variables.readOnly;
  view.executed = executed;
  // What a replica received from its primaries: for MariaDB the slave position and the IO
  // thread's, not the binary log, so a local (errant) write never makes it look ahead.
  const replicated = flavor === "mariadb" && facts.replication ? parseGtid(flavor, facts.variables.replicated) : executed;
  view.received = facts.replication?.received ? gtidUnion(replicated, parseGtid(flavor, facts.replication.received)) : executed;
  if (facts.replication) {
    view.replication = {
      sourceHost: facts.replication.sourceHost,
      ioRunning: facts.replication.ioRunning,
      sqlRunning: facts.replication.sqlRunning,
      ioErrno: facts.replication.lastIoErrno,
      ioError: facts.replication.lastIoError,
      sqlErrno: facts.replication.lastSqlErrno,
      sqlError: facts.replication.lastSqlError,
      ssl: facts.replication.ssl,
    };
  }
  return view;
}

/** For MySQL, errant = executed transactions the primary lacks (known once the primary is). */
export function markMysqlErrant(views: InstanceView[], primary: InstanceView | undefined): void {
  if (!primary?.executed) return;
  for (const view of views) {
    if (view.name === primary.name || !view.executed || view.executed.flavor !== "mysql" || !view.replication) continue;
    const missing = gtidMissingFrom(view.executed, primary.executed);
    if (!isEmptyGtid(missing)) view.errant = formatGtid(missing);
  }
}

/** Reads one instance; an instance that does not answer gives its error instead of facts. */
export async function readInstance(name: string, endpoint: Endpoint, flavor: MysqlFlavor): Promise<{ facts?: InstanceFacts; error?: string }> {
  let session: InstanceSession | undefined;
  try {
    session = await InstanceSession.open(name, endpoint, flavor);
    return { facts: await session.facts() };
  } catch (error) {
    return { error: describeError(error) };
  } finally {
    session?.destroy();
  }
}

export function replicationWords(view: InstanceView): string | undefined {
  const replication = view.replication;
  if (!replication) return undefined;
  if (replication.ioErrno || replication.sqlErrno) return "Error";
  if (replication.ioRunning === "Yes" && replication.sqlRunning) return "Running";
  if (replication.ioRunning === "Connecting") return "Connecting";
  return "Stopped";
}

export function instanceStatus(observation: InstanceObservation, primary: string | undefined): InstanceStatus {
  const { view, facts, pod } = observation;
  const role: InstanceStatus["role"] = !view.reachable ? (observation.name === primary ? "primary" : "unknown") : observation.name === primary ? "primary" : facts?.replication ? "replica" : "unknown";
  const status: InstanceStatus = { name: observation.name, role, ready: pod.ready && view.reachable };
  if (view.readOnly !== undefined) status.readOnly = view.readOnly;
  if (view.executed) status.position = formatGtid(view.executed);
  if (facts?.replication?.lagSeconds !== undefined && facts.replication.lagSeconds !== null) status.lagSeconds = facts.replication.lagSeconds;
  const words = replicationWords(view);
  if (words) status.replication = words;
  const messages: string[] = [];
  if (!pod.exists) messages.push("pod does not exist yet");
  else if (pod.initializing) messages.push("pod is initializing (new data, or a copy from the primary)");
  if (!view.reachable && observation.error && pod.exists && !pod.initializing) messages.push(`unreachable: ${observation.error}`);
  if (view.replication?.ioErrno) messages.push(`IO error ${view.replication.ioErrno}: ${view.replication.ioError}`);
  if (view.replication?.sqlErrno) messages.push(`SQL error ${view.replication.sqlErrno}: ${view.replication.sqlError}`);
  if (view.errant) messages.push(`errant transactions ${view.errant}`);
  if (messages.length > 0) status.message = messages.join("; ").slice(0, 1000);
  return status;
}

/** The Replicating condition: every replica's threads run and none is in error. */
export function replicatingCondition(observations: InstanceObservation[], primary: string | undefined, replicas: number): ConditionInput {
  if (replicas < 2) return { type: "Replicating", status: "True", reason: "SingleInstance", message: "A single instance has nothing to replicate to" };
  if (!primary) return { type: "Replicating", status: "False", reason: "NoPrimary", message: "There is no primary yet; replication starts once one is chosen" };
  const behind: string[] = [];
  for (const observation of observations) {
    if (observation.name === primary) continue;
    const words = replicationWords(observation.view);
    if (words !== "Running") behind.push(`${observation.name}: ${!observation.view.reachable ? "unreachable" : (words ?? "not replicating")}`);
  }
  if (behind.length === 0) return { type: "Replicating", status: "True", reason: "AllReplicasStreaming", message: `Every replica streams from ${primary}` };
  return { type: "Replicating", status: "False", reason: "ReplicasNotStreaming", message: `${behind.join("; ")}; the operator re-points, restarts or re-seeds them` };
}
