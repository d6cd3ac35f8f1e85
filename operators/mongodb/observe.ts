/**
 * Observation: every member's pod and its own `hello` (no credentials needed, so this works
 * before the admin user exists), read in parallel, turned into the primary MongoDB elected,
 * each pod's role, status.instances and the conditions.
 */
import { oplogArchiveCondition } from "./archive-condition.js";
import type { InstanceStatus } from "../../shared/api/index.js";
import type { KubeObject } from "../../shared/k8s/client.js";
import { describeError } from "../common/errors.js";
import { instancesToObserve, podFacts, type PodFacts } from "../common/observed-pods.js";
import type { ConditionInput, EngineContext, Observation } from "../engine.js";
import type { MemberCommands } from "./member.js";
import { mongodbNames } from "./names.js";
import { detectPrimary, memberRoles, type HelloFacts, type MemberRole } from "./status.js";

export interface MemberReading {
  name: string;
  pod: PodFacts;
  hello?: HelloFacts;
  error?: string;
}

export interface MongodbObservation extends Observation {
  readings: MemberReading[];
  roles: Map<string, MemberRole>;
  /** The primary MongoDB elected, as the members say (undefined during an election or before initiation). */
  electedPrimary?: string;
  /** No member has ever been initiated (no member reports a set name). */
  uninitiated: boolean;
  podsUp: Set<string>;
}

/** Reads one member's hello over an unauthenticated direct connection. */
export async function readMember(connect: () => Promise<MemberCommands>): Promise<{ hello?: HelloFacts; error?: string }> {
  let member: MemberCommands | undefined;
  try {
    member = await connect();
    return { hello: await member.hello() };
  } catch (error) {
    return { error: describeError(error) };
  } finally {
    await member?.close().catch(() => undefined);
  }
}

function instanceStatus(reading: MemberReading, role: MemberRole, previous: InstanceStatus | undefined): InstanceStatus {
  const hello = reading.hello;
  const status: InstanceStatus = {
    name: reading.name,
    role: role === "primary" ? "primary" : role === "replica" ? "replica" : hello ? "unknown" : (previous?.role ?? "unknown"),
    ready: reading.pod.ready && hello !== undefined && (hello.writablePrimary || hello.secondary),
  };
  if (hello) {
    status.readOnly = !hello.writablePrimary;
    if (hello.lastWrite) status.position = `${hello.lastWrite.t}:${hello.lastWrite.i}`;
    if (hello.awaitingInitiate) status.message = "mongod runs but is not in the replica set yet";
  } else if (!reading.pod.exists) status.message = "pod does not exist yet";
  else if (reading.error) status.message = `does not answer: ${reading.error}`.slice(0, 1000);
  return status;
}

/** What observation finds, as a pure function of the readings (tested on tables). */
export function summarize(readings: MemberReading[], desiredCount: number, previousInstances: InstanceStatus[] = []): MongodbObservation {
  const hellos = new Map(readings.map((reading) => [reading.name, reading.hello]));
  const detection = detectPrimary(hellos);
  const roles = memberRoles(
    readings.map((reading) => reading.name),
    detection.primary,
    hellos,
  );
  const previous = new Map(previousInstances.map((instance) => [instance.name, instance]));
  const instances = readings.map((reading) => instanceStatus(reading, roles.get(reading.name) ?? "none", previous.get(reading.name)));
  const uninitiated = readings.every((reading) => !reading.hello?.setName);
  const podsUp = new Set(readings.filter((reading) => reading.hello !== undefined).map((reading) => reading.name));
  const desired = readings.slice(0, desiredCount);
  const problems: string[] = [];
  const conditions: ConditionInput[] = [];
  if (uninitiated) {
    conditions.push({ type: "ReplicaSetInitiated", status: "False", reason: "NotInitiated", message: "The replica set is not initiated yet; the agent in the first pod initiates it once mongod answers" });
  } else {
    conditions.push({ type: "ReplicaSetInitiated", status: "True", reason: "Initiated", message: "The replica set is initiated" });
    if (!detection.primary) problems.push(`No primary: ${detection.reason}; MongoDB elects one once a majority of voting members is up, the operator follows`);
  }
  const behind = desired.filter((reading) => reading.hello && !reading.hello.writablePrimary && !reading.hello.secondary).map((reading) => reading.name);
  const silent = desired.filter((reading) => !reading.hello).map((reading) => `${reading.name} (${reading.error ?? "no answer"})`);
  if (!uninitiated && detection.primary) {
    if (behind.length === 0 && silent.length === 0) conditions.push({ type: "Replicating", status: "True", reason: "AllMembersSecondary", message: `Every member replicates from ${detection.primary}` });
    else conditions.push({ type: "Replicating", status: "False", reason: "MembersNotSecondary", message: `${[...behind.map((name) => `${name} is not a secondary yet`), ...silent.map((name) => `${name} does not answer`)].join("; ")}; the operator adds members as they come up, MongoDB syncs them` });
  }
  if (!uninitiated && silent.length > 0) problems.push(`Members not answering: ${silent.join(", ")}`);
  return {
    instances,
    primary: detection.primary,
    readyReplicas: instances.filter((instance) => instance.ready).length,
    conditions,
    problems,
    provisioning: uninitiated || previousInstances.length === 0,
    readings,
    roles,
    electedPrimary: detection.primary,
    uninitiated,
    podsUp,
  };
}

export async function observeCluster(context: EngineContext, pods: KubeObject[], count: number, connect: (pod: string) => Promise<MemberCommands>): Promise<MongodbObservation> {
  const names = mongodbNames(context.cluster);
  const podsByName = new Map(pods.map((pod) => [pod.metadata.name, pod]));
  const readings = await Promise.all(
    instancesToObserve(names.pod, count, pods).map(async (name): Promise<MemberReading> => {
      const pod = podFacts(name, podsByName.get(name));
      if (!pod.exists) return { name, pod, error: "no pod" };
      if (pod.initializing) return { name, pod, error: "initializing" };
      return { name, pod, ...(await readMember(() => connect(name))) };
    }),
  );
  const observation = summarize(readings, count, context.cluster.status?.instances ?? []);
  const archived = oplogArchiveCondition(context.cluster, context.spec);
  if (archived) observation.conditions.push(archived);
  return observation;
}
