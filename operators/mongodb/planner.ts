/**
 * Membership decisions as pure functions (STYLE.md habit 7): from the replica set's current
 * configuration and what each member reports, the ONE next step towards the members Steward
 * wants. The reconciler runs that step (one `replSetReconfig`, with a maxTimeMS) and plans
 * again on its next pass, so a crash between steps loses nothing: the next plan starts from
 * whatever configuration the set holds.
 *
 * Rules kept at every step, each one MongoDB's own (4.4+ "safe reconfig") or Steward's:
 * - at most one voting member is added, removed or has its vote changed per reconfig;
 * - no reconfig while the last one is not committed, nor while a member added as a voter is
 *   still `newlyAdded` (not yet a caught-up secondary): the server would refuse or, worse,
 *   count it towards a majority it cannot yet help form;
 * - never more than 7 voters; a non-voter has priority 0; the end state has an odd number of
 *   voters (a path between two odd counts passes through one even count for one step);
 * - removals and vote decreases come before additions and vote increases, so the voter count
 *   never goes above the larger of the current and the desired one;
 * - the primary is never removed or made a non-voter: it is asked to step down first;
 * - a member leaves the configuration before its pod goes (scale-in removes, then shrinks).
 */
import { MAX_VOTERS, priorityOf, votesOf, type DesiredMember, type MemberConfig, type ReplSetConfig } from "./replset-config.js";

/** A member's state as `replSetGetStatus` reports it (see status.ts), keyed by host. */
export interface MemberHealth {
  host: string;
  /** replSetGetStatus member `state`: 1 primary, 2 secondary, 5 startup2, 3 recovering, 8 down, ... */
  state: number;
  healthy: boolean;
}

export interface MembershipInput {
  /** undefined: the set was never initiated. */
  config?: ReplSetConfig;
  desired: DesiredMember[];
  /** Host of the current primary, when there is one. */
  primary?: string;
  members: MemberHealth[];
  /** replSetGetConfig's commitmentStatus: false while the last reconfig is not on a majority yet. */
  committed: boolean;
  /** Pods that exist and run mongod now (a member is only added once its pod answers). */
  podsUp: ReadonlySet<string>;
}

export type MembershipStep =
  | { action: "initiate"; config: ReplSetConfig; reason: string }
  | { action: "reconfig"; config: ReplSetConfig; reason: string }
  | { action: "stepDown"; reason: string }
  | { action: "wait"; reason: string }
  | { action: "done" };

const PRIMARY = 1;
const SECONDARY = 2;

/** The configuration `replSetInitiate` gets: pod 0 alone, so it does not wait on pods not up yet; the others join one by one. */
export function initialConfig(setName: string, first: DesiredMember): ReplSetConfig {
  return { _id: setName, version: 1, members: [{ _id: 0, host: first.host, votes: 1, priority: 1 }] };
}

function sameHostOtherForm(member: MemberConfig, desired: DesiredMember): boolean {
  // A member written under another address form of the same pod (a short name, an old
  // Service domain): its data is the pod's, so the host is fixed in place, not removed and re-added.
  return member.host !== desired.host && member.host.split(/[.:]/)[0] === desired.pod;
}

/** The next configuration: the current one with one member changed, version + 1, no fields the server owns. */
function next(config: ReplSetConfig, members: MemberConfig[]): ReplSetConfig {
  const { term: _term, ...rest } = config;
  return {
    ...rest,
    version: config.version + 1,
    // newlyAdded is the server's to set and clear: a reconfig that carries it is refused.
    members: members.map(({ newlyAdded: _newlyAdded, ...member }) => member),
  };
}

function freeId(config: ReplSetConfig, preferred: number): number {
  const used = new Set(config.members.map((member) => member._id));
  if (!used.has(preferred)) return preferred;
  for (let id = 0; id <= 255; id += 1) if (!used.has(id)) return id;
  throw new Error("no free member _id left (0-255)");
}

function withChange(config: ReplSetConfig, host: string, change: Partial<MemberConfig>): MemberConfig[] {
  return config.members.map((member) => (member.host === host ? { ...member, ...change } : member));
}

/** Why a reconfig must wait now, or undefined. */
function mustWait(input: MembershipInput, config: ReplSetConfig): string | undefined {
  if (!input.primary) return "the replica set has no primary; membership changes wait for MongoDB to elect one";
  if (!input.committed) return "the last configuration change is not on a majority of members yet";
  const catchingUp = config.members.find((member) => member.newlyAdded === true);
  if (catchingUp) return `${catchingUp.host} was just added and is still catching up (newlyAdded); the next change waits for it`;
  const health = new Map(input.members.map((member) => [member.host, member]));
  const syncing = config.members.find((member) => votesOf(member) > 0 && !member.arbiterOnly && health.get(member.host)?.state !== PRIMARY && health.get(member.host)?.state !== SECONDARY && health.get(member.host)?.healthy === true);
  if (syncing) return `${syncing.host} is a voter that is not a secondary yet (state ${health.get(syncing.host)?.state}); the next change waits for it`;
  return undefined;
}

/** The one next step from the set's current configuration towards `input.desired`. */
export function planMembership(input: MembershipInput, setName: string): MembershipStep {
  const first = input.desired[0];
  if (!first) throw new Error("no desired members");
  const voters = input.desired.filter((member) => member.votes > 0).length;
  if (voters > MAX_VOTERS || voters % 2 === 0) throw new Error(`desired members have ${voters} voters; it must be odd and at most ${MAX_VOTERS}`);
  if (!input.config) {
    if (!input.podsUp.has(first.pod)) return { action: "wait", reason: `${first.pod} is not running yet; the replica set is initiated on it` };
    return { action: "initiate", config: initialConfig(setName, first), reason: `initiated replica set ${setName} on ${first.pod}` };
  }
  const config = input.config;
  const wanted = new Map(input.desired.map((member) => [member.host, member]));
  const steps: (() => MembershipStep | undefined)[] = [
    // 1. a member of a pod written under another address: fix its host.
    () => {
      for (const desired of input.desired) {
        if (config.members.some((member) => member.host === desired.host)) continue;
        const misnamed = config.members.find((member) => sameHostOtherForm(member, desired));
        if (misnamed) return reconfig(config, withChange(config, misnamed.host, { host: desired.host }), `changed ${desired.pod}'s member host from ${misnamed.host} to ${desired.host}`);
      }
      return undefined;
    },
    // 2. members that should not be there, highest _id first (scale-in removes the last pods first).
    () => {
      const extra = config.members.filter((member) => !wanted.has(member.host) && !input.desired.some((desired) => sameHostOtherForm(member, desired))).sort((a, b) => b._id - a._id)[0];
      if (!extra) return undefined;
      if (extra.host === input.primary) return { action: "stepDown", reason: `${extra.host} is primary and must leave the replica set; it steps down first` };
      return reconfig(
        config,
        config.members.filter((member) => member !== extra),
        `removed ${extra.host} from the replica set`,
      );
    },
    // 3. voters that should not vote: vote and priority go to 0 together.
    () => {
      const demote = config.members.find((member) => votesOf(member) > 0 && wanted.get(member.host)?.votes === 0);
      if (!demote) return undefined;
      if (demote.host === input.primary) return { action: "stepDown", reason: `${demote.host} is primary and must stop voting; it steps down first` };
      return reconfig(config, withChange(config, demote.host, { votes: 0, priority: 0 }), `made ${demote.host} a non-voting member`);
    },
    // 4. pods not in the set yet, lowest ordinal first, each once its mongod runs.
    () => {
      const missing = input.desired.find((desired) => !config.members.some((member) => member.host === desired.host));
      if (!missing) return undefined;
      if (!input.podsUp.has(missing.pod)) return { action: "wait", reason: `${missing.pod} is not running yet; it joins the replica set once it is` };
      const member: MemberConfig = { _id: freeId(config, missing.ordinal), host: missing.host, votes: missing.votes, priority: missing.priority };
      return reconfig(config, [...config.members, member], `added ${missing.host} to the replica set as a ${missing.votes ? "voting" : "non-voting"} member`);
    },
    // 5. members that should vote and do not.
    () => {
      const promote = config.members.find((member) => votesOf(member) === 0 && wanted.get(member.host)?.votes === 1);
      if (!promote) return undefined;
      const desired = wanted.get(promote.host);
      return reconfig(config, withChange(config, promote.host, { votes: 1, priority: desired?.priority ?? 1 }), `made ${promote.host} a voting member`);
    },
    // 6. priorities (no vote changes): one member at a time too, to keep each step readable.
    () => {
      const off = config.members.find((member) => {
        const desired = wanted.get(member.host);
        return desired !== undefined && votesOf(member) === desired.votes && priorityOf(member) !== desired.priority;
      });
      if (!off) return undefined;
      const priority = wanted.get(off.host)?.priority ?? 1;
      return reconfig(config, withChange(config, off.host, { priority }), `set ${off.host}'s priority to ${priority}`);
    },
  ];
  for (const step of steps) {
    const result = step();
    if (!result) continue;
    if (result.action !== "reconfig") return result;
    const wait = mustWait(input, config);
    return wait ? { action: "wait", reason: wait } : result;
  }
  return { action: "done" };
}

function reconfig(config: ReplSetConfig, members: MemberConfig[], reason: string): MembershipStep {
  return { action: "reconfig", config: next(config, members), reason };
}

/**
 * `failover.dataLoss: allowed` only: when most voters are gone for good (their pods and volumes
 * deleted), the survivors can never elect a primary. A forced reconfig keeps only the members
 * that answer; writes the lost majority had acknowledged may be gone, which is what `allowed`
 * accepts. Returns undefined when a normal election is still possible.
 */
export function planForcedReconfig(config: ReplSetConfig, reachableHosts: ReadonlySet<string>): { config: ReplSetConfig; reason: string } | undefined {
  const voters = config.members.filter((member) => votesOf(member) > 0);
  const alive = voters.filter((member) => reachableHosts.has(member.host));
  if (alive.length * 2 > voters.length) return undefined;
  const survivors = config.members.filter((member) => reachableHosts.has(member.host));
  if (survivors.length === 0) return undefined;
  // Keep an odd number of voters among the survivors: the last one stops voting if needed.
  let votersLeft = Math.min(MAX_VOTERS, survivors.length % 2 === 1 ? survivors.length : survivors.length - 1);
  const members = survivors.map((member) => {
    const vote = votersLeft > 0 ? 1 : 0;
    votersLeft -= vote;
    return vote ? { ...member, votes: 1, priority: Math.max(priorityOf(member), 1) } : { ...member, votes: 0, priority: 0 };
  });
  const lost = config.members.filter((member) => !reachableHosts.has(member.host)).map((member) => member.host);
  // A forced reconfig needs a version well above the current one (replicas may have seen later ones).
  const { term: _term, ...rest } = config;
  return {
    config: { ...rest, version: config.version + 100_000, members: members.map(({ newlyAdded: _n, ...member }) => member) },
    reason: `forced a new configuration without ${lost.join(", ")}: a majority of voters was lost for good (failover.dataLoss: allowed)`,
  };
}
