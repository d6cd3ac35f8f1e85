/**
 * What `hello` (`isMaster` before 5.0) and `replSetGetStatus` documents say, read with zod into
 * the few facts Steward acts on, and the pure decisions built on them: which pod is primary
 * (MongoDB elects it; the operator only follows), which role label each pod carries, and what
 * the membership planner needs to know about each member.
 */
import { z } from "zod";
import type { MemberHealth } from "./planner.js";

/** An oplog position: seconds and the increment within the second (a BSON Timestamp). */
export interface OpTime {
  t: number;
  i: number;
}

export function compareOpTime(a: OpTime, b: OpTime): number {
  return a.t - b.t || a.i - b.i;
}

/** bson's Timestamp carries t and i; EJSON in tests gives the same type. */
const opTimeSchema = z.custom<OpTime>((value) => typeof value === "object" && value !== null && typeof (value as OpTime).t === "number" && typeof (value as OpTime).i === "number");
/** An ObjectId (or anything with a hex form); electionId is one. */
const objectIdSchema = z.custom<{ toHexString(): string }>((value) => typeof value === "object" && value !== null && typeof (value as { toHexString?: unknown }).toHexString === "function");

const helloSchema = z
  .object({
    isWritablePrimary: z.boolean().optional(),
    ismaster: z.boolean().optional(),
    secondary: z.boolean().optional(),
    arbiterOnly: z.boolean().optional(),
    setName: z.string().optional(),
    setVersion: z.number().optional(),
    primary: z.string().optional(),
    me: z.string().optional(),
    hosts: z.array(z.string()).optional(),
    passives: z.array(z.string()).optional(),
    electionId: objectIdSchema.optional(),
    lastWrite: z.object({ opTime: z.object({ ts: opTimeSchema }).loose().optional(), lastWriteDate: z.date().optional() }).loose().optional(),
    /** Set by a mongod started with --replSet before replSetInitiate ran. */
    isreplicaset: z.boolean().optional(),
  })
  .loose();

export interface HelloFacts {
  writablePrimary: boolean;
  secondary: boolean;
  setName?: string;
  setVersion?: number;
  /** Who this member believes is primary. */
  primary?: string;
  me?: string;
  /** Data-bearing members that may become primary, plus passives (priority 0). */
  hosts: string[];
  /** Hex of electionId: orders primaries by term (a higher one wins a split brain). */
  electionId?: string;
  lastWrite?: OpTime;
  lastWriteDate?: Date;
  /** Started with --replSet but never initiated. */
  awaitingInitiate: boolean;
}

export function parseHello(document: unknown): HelloFacts {
  const hello = helloSchema.parse(document);
  return {
    writablePrimary: hello.isWritablePrimary ?? hello.ismaster ?? false,
    secondary: hello.secondary ?? false,
    setName: hello.setName,
    setVersion: hello.setVersion,
    primary: hello.primary,
    me: hello.me,
    hosts: [...(hello.hosts ?? []), ...(hello.passives ?? [])],
    electionId: hello.electionId?.toHexString(),
    lastWrite: hello.lastWrite?.opTime?.ts,
    lastWriteDate: hello.lastWrite?.lastWriteDate,
    awaitingInitiate: hello.isreplicaset === true && hello.setName === undefined,
  };
}

const statusMemberSchema = z
  .object({
    _id: z.number(),
    name: z.string(),
    health: z.number(),
    state: z.number(),
    stateStr: z.string(),
    optime: z.object({ ts: opTimeSchema }).loose().optional(),
    optimeDate: z.date().optional(),
    self: z.boolean().optional(),
    configVersion: z.number().optional(),
    lastHeartbeatMessage: z.string().optional(),
  })
  .loose();

const statusSchema = z
  .object({
    set: z.string(),
    myState: z.number(),
    term: z.number().optional(),
    members: z.array(statusMemberSchema),
  })
  .loose();

export interface StatusMember {
  id: number;
  host: string;
  healthy: boolean;
  state: number;
  stateStr: string;
  optime?: OpTime;
  optimeDate?: Date;
  self: boolean;
  message?: string;
}

export interface ReplSetStatus {
  set: string;
  myState: number;
  term?: number;
  members: StatusMember[];
}

export function parseReplSetStatus(document: unknown): ReplSetStatus {
  const status = statusSchema.parse(document);
  return {
    set: status.set,
    myState: status.myState,
    term: status.term,
    members: status.members.map((member) => ({
      id: member._id,
      host: member.name,
      healthy: member.health === 1,
      state: member.state,
      stateStr: member.stateStr,
      optime: member.optime?.ts,
      optimeDate: member.optimeDate,
      self: member.self === true,
      message: member.lastHeartbeatMessage || undefined,
    })),
  };
}

/** What the membership planner needs from a status document. */
export function memberHealth(status: ReplSetStatus): MemberHealth[] {
  return status.members.map((member) => ({ host: member.host, state: member.state, healthy: member.healthy }));
}

/** The pod a member's host names: `<pod>.<headless>...:27017` -> `<pod>`. */
export function podOfHost(host: string): string {
  return host.split(/[.:]/)[0] ?? host;
}

export type PrimaryDetection =
  | { primary: string; reason: string }
  | { primary?: undefined; reason: string };

/**
 * The primary, from each pod's own `hello` (undefined: it did not answer). Only a member that
 * says it is writable counts; what others believe about the primary is hearsay that lags an
 * election. Two members both writable happens for a moment after a partition heals (the old
 * primary has not heard of the new term yet): the higher electionId, a later term, is the real one.
 */
export function detectPrimary(hellos: ReadonlyMap<string, HelloFacts | undefined>): PrimaryDetection {
  const writable = [...hellos.entries()].filter((entry): entry is [string, HelloFacts] => entry[1]?.writablePrimary === true);
  if (writable.length === 0) {
    const answered = [...hellos.values()].filter((hello) => hello !== undefined).length;
    return { reason: answered === 0 ? "no member answered" : `none of the ${answered} members that answered is primary (an election may be under way)` };
  }
  writable.sort((a, b) => (b[1].electionId ?? "").localeCompare(a[1].electionId ?? ""));
  const [pod] = writable[0] as [string, HelloFacts];
  if (writable.length > 1) return { primary: pod, reason: `${writable.map(([name]) => name).join(" and ")} both claim to be primary; ${pod} has the later election` };
  return { primary: pod, reason: `${pod} is primary` };
}

export type MemberRole = "primary" | "replica" | "none";

/**
 * The role label of each pod: the primary, secondaries (state 2) that serve reads, and
 * nothing for members that cannot serve (starting, recovering, down, removed), so the
 * `-replicas` Service only sends reads to members that have the data.
 */
export function memberRoles(pods: readonly string[], primary: string | undefined, hellos: ReadonlyMap<string, HelloFacts | undefined>): Map<string, MemberRole> {
  return new Map(pods.map((pod) => [pod, pod === primary ? "primary" : hellos.get(pod)?.secondary === true ? "replica" : "none"]));
}

/** The Event message when the primary moved, or undefined when it did not. */
export function primaryChange(previous: string | undefined, current: string | undefined): string | undefined {
  if (!current || previous === current) return undefined;
  if (!previous) return `MongoDB elected ${current} primary`;
  return `MongoDB elected ${current} primary in place of ${previous}`;
}
