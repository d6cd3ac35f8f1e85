/**
 * A SIMULATOR of a MongoDB replica set's rules, for the operator's replica-set code where no
 * mongod can run (none installs on the machines Steward is built on). It is not MongoDB: it
 * models only what Steward's decisions depend on, each rule as the server documents it
 * (docs "Replica Set Configuration", "replSetReconfig", "Replica Set Elections",
 * "replSetStepDown", "replSetFreeze", "Localhost Exception"):
 *
 * - replSetInitiate once (AlreadyInitialized after), from a member listed in the config;
 * - replSetReconfig only on the primary (unless force), version strictly greater, same set
 *   name, no user-supplied `newlyAdded`, at most 7 voters and 50 members, unique _ids and
 *   hosts, non-voters with priority 0, the primary kept electable; "safe reconfig" (4.4+): the
 *   current config must be committed (on a majority of voters) and at most one voter may be
 *   added or removed per reconfig; a voting member added gets `newlyAdded` until it has caught up;
 * - elections: a member can be elected when it is up, votes (not newlyAdded), has priority > 0,
 *   is not frozen or held by a step-down, and is as fresh as every other candidate; a majority
 *   of voters must be up; the higher priority wins, then the fresher, then the lower _id; each
 *   election raises the term (electionId);
 * - replSetStepDown needs a caught-up electable secondary; replSetFreeze refuses a primary;
 * - users: until the first exists, a localhost session may create one (the localhost
 *   exception); after, unauthenticated sessions get Unauthorized.
 * Replication is instant for up members unless a member is paused; time is a counter moved by
 * `tick`. Not modelled: oplog contents, rollbacks, write concerns, catch-up takeover, chaining,
 * arbiters, heartbeats and their timeouts, network partitions other than a member being down.
 */
import { MemberCommandError, ERROR_CODES, type ConfigReading, type MemberCommands } from "../../operators/mongodb/member.js";
import { MAX_MEMBERS, MAX_VOTERS, countsAsVoter, priorityOf, votesOf, type ReplSetConfig } from "../../operators/mongodb/replset-config.js";
import type { HelloFacts, ReplSetStatus } from "../../operators/mongodb/status.js";

interface SimMember {
  pod: string;
  host: string;
  up: boolean;
  /** Applied writes (the optime, as a counter). */
  applied: number;
  paused: boolean;
  frozenUntil: number;
  steppedDownUntil: number;
}

/** A network error: what the driver raises for a member that is down (no server error code). */
export class SimulatedNetworkError extends Error {}

export class ReplicaSetSimulator {
  now = 0;
  term = 0;
  config?: ReplSetConfig;
  primary?: string;
  readonly members = new Map<string, SimMember>();
  readonly users = new Map<string, string>();
  /** What happened, for the tests to read like a log. */
  readonly history: string[] = [];

  constructor(
    readonly setName: string,
    pods: string[],
    readonly hostOf: (pod: string) => string,
  ) {
    for (const pod of pods) this.addPod(pod);
  }

  addPod(pod: string): void {
    this.members.set(pod, { pod, host: this.hostOf(pod), up: true, applied: 0, paused: false, frozenUntil: 0, steppedDownUntil: 0 });
  }

  member(pod: string): SimMember {
    const member = this.members.get(pod);
    if (!member) throw new Error(`no pod ${pod}`);
    return member;
  }

  private byHost(host: string): SimMember | undefined {
    return [...this.members.values()].find((member) => member.host === host);
  }

  /** A session to one member: `localhost` from inside its pod, or with the admin's credentials. */
  connect(pod: string, session: { localhost?: boolean; credentials?: { user: string; password: string } } = {}): MemberCommands {
    return new SimulatedMember(this, pod, session);
  }

  /** Writes on the primary (an application's). */
  write(count = 1): void {
    if (!this.primary) throw new Error("no primary to write to");
    this.member(this.primary).applied += count;
    this.replicate();
  }

  kill(pod: string): void {
    this.member(pod).up = false;
    if (this.primary === pod) this.primary = undefined;
    this.history.push(`killed ${pod}`);
  }

  start(pod: string): void {
    this.member(pod).up = true;
    this.replicate();
  }

  /** Moves time on; a set without a primary holds an election; newly added members that caught up become voters. */
  tick(ms = 1000): void {
    this.now += ms;
    this.replicate();
    if (this.config) {
      const primary = this.primary ? this.member(this.primary) : undefined;
      for (const config of this.config.members) {
        const member = this.byHost(config.host);
        if (config.newlyAdded && member?.up && primary && member.applied >= primary.applied) delete config.newlyAdded;
      }
    }
    if (!this.primary) this.elect();
  }

  private replicate(): void {
    const primary = this.primary ? this.member(this.primary) : undefined;
    if (!primary || !this.config) return;
    for (const config of this.config.members) {
      const member = this.byHost(config.host);
      if (member && member.up && !member.paused) member.applied = Math.max(member.applied, primary.applied);
    }
  }

  voters(): SimMember[] {
    return (this.config?.members ?? []).filter(countsAsVoter).flatMap((config) => this.byHost(config.host) ?? []);
  }

  majorityUp(): boolean {
    const voters = this.voters();
    return voters.filter((member) => member.up).length * 2 > voters.length;
  }

  committed(): boolean {
    return this.majorityUp();
  }

  electable(member: SimMember, excluding?: string): boolean {
    const config = this.config?.members.find((candidate) => candidate.host === member.host);
    if (!config || !countsAsVoter(config) || priorityOf(config) <= 0) return false;
    return member.up && member.pod !== excluding && this.now >= member.frozenUntil && this.now >= member.steppedDownUntil;
  }

  private elect(): void {
    if (!this.config || !this.majorityUp()) return;
    const candidates = [...this.members.values()].filter((member) => this.electable(member));
    const freshest = Math.max(...this.voters().filter((member) => member.up).map((member) => member.applied));
    const eligible = candidates.filter((member) => member.applied >= freshest);
    const priority = (member: SimMember) => priorityOf(this.config?.members.find((config) => config.host === member.host) ?? { _id: 0, host: "" });
    eligible.sort((a, b) => priority(b) - priority(a) || b.applied - a.applied || a.pod.localeCompare(b.pod));
    const winner = eligible[0];
    if (!winner) return;
    this.term += 1;
    this.primary = winner.pod;
    this.history.push(`elected ${winner.pod} (term ${this.term})`);
  }

  /** The checks every configuration passes (initiate, reconfig, forced reconfig). */
  validate(config: ReplSetConfig): void {
    const fail = (message: string) => {
      throw new MemberCommandError(93, `InvalidReplicaSetConfig: ${message}`);
    };
    if (config._id !== this.setName) fail(`set name ${config._id} is not ${this.setName}`);
    if (config.members.length > MAX_MEMBERS) fail(`more than ${MAX_MEMBERS} members`);
    const voters = config.members.filter((member) => votesOf(member) > 0).length;
    if (voters > MAX_VOTERS) fail(`${voters} voting members; at most ${MAX_VOTERS}`);
    if (voters === 0) fail("no voting member");
    if (new Set(config.members.map((member) => member._id)).size !== config.members.length) fail("duplicate member _id");
    if (new Set(config.members.map((member) => member.host)).size !== config.members.length) fail("duplicate member host");
    for (const member of config.members) {
      if (votesOf(member) === 0 && priorityOf(member) !== 0) fail(`${member.host} has votes 0 and priority ${priorityOf(member)}; a non-voter needs priority 0`);
      if (member.newlyAdded !== undefined) fail("newlyAdded may not be set by a user");
    }
  }
}

class SimulatedMember implements MemberCommands {
  private authenticated: boolean;

  constructor(
    private readonly set: ReplicaSetSimulator,
    private readonly pod: string,
    private readonly session: { localhost?: boolean; credentials?: { user: string; password: string } },
  ) {
    const credentials = session.credentials;
    this.authenticated = credentials !== undefined && set.users.get(`admin.${credentials.user}`) === credentials.password;
  }

  private self() {
    const member = this.set.member(this.pod);
    if (!member.up) throw new SimulatedNetworkError(`connection to ${member.host} refused`);
    return member;
  }

  private requireAuth(): void {
    if (this.authenticated) return;
    if (this.set.users.size === 0 && this.session.localhost) return;
    throw new MemberCommandError(ERROR_CODES.Unauthorized, "command requires authentication");
  }

  private requireInitiated(): ReplSetConfig {
    if (!this.set.config || !this.set.config.members.some((member) => member.host === this.self().host)) throw new MemberCommandError(ERROR_CODES.NotYetInitialized, "no replset config has been received");
    return this.set.config;
  }

  private requirePrimary(): void {
    if (this.set.primary !== this.pod) throw new MemberCommandError(ERROR_CODES.NotWritablePrimary, "not primary");
  }

  async hello(): Promise<HelloFacts> {
    const self = this.self();
    const config = this.set.config;
    const inSet = config?.members.some((member) => member.host === self.host) === true;
    if (!inSet) return { writablePrimary: false, secondary: false, hosts: [], awaitingInitiate: true, me: undefined };
    const primary = this.set.primary ? this.set.member(this.set.primary) : undefined;
    return {
      writablePrimary: this.set.primary === this.pod,
      secondary: this.set.primary !== this.pod,
      setName: this.set.setName,
      setVersion: config?.version,
      primary: primary?.host,
      me: self.host,
      hosts: (config?.members ?? []).map((member) => member.host),
      electionId: this.set.term.toString(16).padStart(24, "0"),
      awaitingInitiate: false,
    };
  }

  async replSetGetStatus(): Promise<ReplSetStatus | undefined> {
    this.self();
    this.requireAuth();
    const config = this.set.config;
    if (!config) return undefined;
    return {
      set: this.set.setName,
      myState: this.set.primary === this.pod ? 1 : 2,
      term: this.set.term,
      members: config.members.map((member) => {
        const sim = [...this.set.members.values()].find((candidate) => candidate.host === member.host);
        const up = sim?.up === true;
        const state = !up ? 8 : sim.pod === this.set.primary ? 1 : member.newlyAdded ? 5 : 2;
        return { id: member._id, host: member.host, healthy: up, state, stateStr: ["STARTUP", "PRIMARY", "SECONDARY", "", "", "STARTUP2", "", "", "(not reachable/healthy)"][state] ?? "", optime: { t: sim?.applied ?? 0, i: 1 }, self: sim?.pod === this.pod };
      }),
    };
  }

  async replSetGetConfig(): Promise<ConfigReading | undefined> {
    this.self();
    this.requireAuth();
    if (!this.set.config) return undefined;
    // A driver reads a copy; newlyAdded is visible (as with commitmentStatus and the internal flag).
    return { config: structuredClone(this.set.config), committed: this.set.committed() };
  }

  async replSetInitiate(config: ReplSetConfig): Promise<void> {
    const self = this.self();
    this.requireAuth();
    if (this.set.config) throw new MemberCommandError(ERROR_CODES.AlreadyInitialized, "already initialized");
    this.set.validate(config);
    if (!config.members.some((member) => member.host === self.host)) throw new MemberCommandError(93, "this member is not in the configuration");
    this.set.config = structuredClone(config);
    this.set.history.push(`initiated on ${this.pod}`);
    this.set.tick(0);
  }

  async replSetReconfig(config: ReplSetConfig, options: { force?: boolean } = {}): Promise<void> {
    this.self();
    this.requireAuth();
    const current = this.requireInitiated();
    if (!options.force) this.requirePrimary();
    if (config.version <= current.version) throw new MemberCommandError(ERROR_CODES.NewReplicaSetConfigurationIncompatible, `version ${config.version} must be greater than ${current.version}`);
    this.set.validate(config);
    if (!options.force) {
      if (!this.set.committed()) throw new MemberCommandError(ERROR_CODES.CurrentConfigNotCommittedYet, "the current config is not committed");
      if (current.members.some((member) => member.newlyAdded)) throw new MemberCommandError(ERROR_CODES.ConfigurationInProgress, "a newly added member has not caught up");
      const before = new Map(current.members.map((member) => [member.host, votesOf(member)]));
      const after = new Map(config.members.map((member) => [member.host, votesOf(member)]));
      const changed = [...new Set([...before.keys(), ...after.keys()])].filter((host) => (before.get(host) ?? 0) > 0 !== (after.get(host) ?? 0) > 0);
      if (changed.length > 1) throw new MemberCommandError(ERROR_CODES.NewReplicaSetConfigurationIncompatible, `only one voting member may be added or removed at a time (${changed.join(", ")})`);
      const primaryHost = this.set.member(this.pod).host;
      const primaryConfig = config.members.find((member) => member.host === primaryHost);
      if (!primaryConfig || votesOf(primaryConfig) === 0 || priorityOf(primaryConfig) === 0) throw new MemberCommandError(ERROR_CODES.NewReplicaSetConfigurationIncompatible, "the primary must stay an electable member");
      for (const member of config.members) if (!before.has(member.host) && votesOf(member) > 0) member.newlyAdded = true;
    }
    this.set.config = structuredClone(config);
    if (this.set.primary && !config.members.some((member) => member.host === this.set.member(this.set.primary ?? "").host)) this.set.primary = undefined;
    this.set.history.push(`${options.force ? "forced " : ""}reconfig to version ${config.version}: ${config.members.map((member) => `${member.host.split(".")[0]}${votesOf(member) ? "" : "(nv)"}`).join(",")}`);
    if (options.force) this.set.tick(0);
  }

  async replSetFreeze(seconds: number): Promise<void> {
    this.self();
    this.requireAuth();
    this.requireInitiated();
    if (this.set.primary === this.pod) throw new MemberCommandError(95, "cannot freeze the primary");
    this.set.member(this.pod).frozenUntil = seconds === 0 ? 0 : this.set.now + seconds * 1000;
  }

  async replSetStepDown(seconds: number, _catchUpSecs: number): Promise<void> {
    const self = this.self();
    this.requireAuth();
    this.requirePrimary();
    const caughtUp = [...this.set.members.values()].filter((member) => member.pod !== this.pod && member.applied >= self.applied && this.set.electable(member));
    if (caughtUp.length === 0) throw new MemberCommandError(ERROR_CODES.ExceededTimeLimit, "no electable secondary caught up");
    self.steppedDownUntil = this.set.now + seconds * 1000;
    this.set.primary = undefined;
    this.set.history.push(`${this.pod} stepped down`);
    this.set.tick(0);
    // As on a real server, the step-down closes the primary's client connections.
    throw new SimulatedNetworkError("connection closed by step-down");
  }

  async userExists(database: string, user: string): Promise<boolean> {
    this.self();
    this.requireAuth();
    return this.set.users.has(`${database}.${user}`);
  }

  async createUser(database: string, user: string, password: string): Promise<void> {
    this.self();
    this.requireAuth();
    this.requirePrimary();
    this.set.users.set(`${database}.${user}`, password);
  }

  async updateUserPassword(database: string, user: string, password: string): Promise<void> {
    this.self();
    this.requireAuth();
    this.requirePrimary();
    if (!this.set.users.has(`${database}.${user}`)) throw new MemberCommandError(11, `user ${user}@${database} not found`);
    this.set.users.set(`${database}.${user}`, password);
  }

  async close(): Promise<void> {}
}
