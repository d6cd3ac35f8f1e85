/**
 * The replica-set configuration document (what `replSetGetConfig` returns and
 * `replSetInitiate`/`replSetReconfig` take), read with zod, and the member layout Steward wants
 * for N pods. Only the fields Steward decides are typed; every other field a server returns
 * (settings, tags, buildIndexes, replicaSetId, ...) is kept as it is and sent back unchanged.
 */
import { z } from "zod";

/** MongoDB refuses a configuration with more than 7 voting members. */
export const MAX_VOTERS = 7;
/** ... and with more than 50 members. */
export const MAX_MEMBERS = 50;

export const memberConfigSchema = z
  .object({
    _id: z.number().int(),
    host: z.string(),
    votes: z.number().int().optional(),
    priority: z.number().optional(),
    arbiterOnly: z.boolean().optional(),
    hidden: z.boolean().optional(),
    /** Set by the server (4.4+) on a voting member added by a reconfig until it is a caught-up secondary. */
    newlyAdded: z.boolean().optional(),
  })
  .loose();
export type MemberConfig = z.infer<typeof memberConfigSchema>;

export const replSetConfigSchema = z
  .object({
    _id: z.string(),
    version: z.number().int(),
    term: z.number().int().optional(),
    members: z.array(memberConfigSchema),
  })
  .loose();
export type ReplSetConfig = z.infer<typeof replSetConfigSchema>;

/** What a member counts as: a server omits votes/priority when they are the defaults (1 and 1). */
export function votesOf(member: MemberConfig): number {
  return member.votes ?? 1;
}
export function priorityOf(member: MemberConfig): number {
  if (member.arbiterOnly) return 0;
  return member.priority ?? 1;
}
/** A newly added member does not vote yet, whatever its `votes` says (MongoDB 4.4+). */
export function countsAsVoter(member: MemberConfig): boolean {
  return votesOf(member) > 0 && member.newlyAdded !== true;
}
export function voterCount(config: Pick<ReplSetConfig, "members">): number {
  return config.members.filter((member) => votesOf(member) > 0).length;
}

/** One member Steward wants: a pod and the address the others reach it at. */
export interface DesiredMember {
  pod: string;
  ordinal: number;
  host: string;
  votes: 0 | 1;
  priority: number;
}

/**
 * The members for pods 0..count-1: the first pods vote, up to 7 and always an odd number (an
 * even number of voters adds no fault tolerance and can tie); the others hold data, never vote
 * and can never be primary (MongoDB requires priority 0 for a non-voting member).
 */
export function desiredMembers(count: number, podName: (ordinal: number) => string, hostOf: (pod: string) => string): DesiredMember[] {
  if (count < 1) throw new Error("a replica set needs at least one member");
  if (count > MAX_MEMBERS) throw new Error(`a replica set has at most ${MAX_MEMBERS} members, not ${count}`);
  const voters = Math.min(MAX_VOTERS, count % 2 === 1 ? count : count - 1);
  return Array.from({ length: count }, (_, ordinal) => {
    const pod = podName(ordinal);
    const votes = ordinal < voters ? 1 : 0;
    return { pod, ordinal, host: hostOf(pod), votes, priority: votes === 1 ? 1 : 0 };
  });
}
