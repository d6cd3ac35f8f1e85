/**
 * The operator's replica-set code (bootstrap, membership steps, switchover, forced reconfig)
 * driven against the replica-set SIMULATOR (mongodb-replset-simulator.ts says what it models):
 * no mongod can run here, so these prove the decisions keep MongoDB's rules, not that a real
 * server accepts them.
 */
import { describe, expect, it } from "vitest";
import type { MemberCommands } from "../../operators/mongodb/member.js";
import { planForcedReconfig, type MembershipStep } from "../../operators/mongodb/planner.js";
import { desiredMembers, voterCount, votesOf } from "../../operators/mongodb/replset-config.js";
import { bootstrapReplicaSet, ensureApplicationUser, stepMembership, switchover } from "../../operators/mongodb/replica-set.js";
import { detectPrimary, primaryChange, type HelloFacts } from "../../operators/mongodb/status.js";
import { ReplicaSetSimulator } from "./mongodb-replset-simulator.js";

const host = (pod: string) => `${pod}.db-headless.shop.svc.cluster.local:27017`;
const pod = (ordinal: number) => `db-${ordinal}`;
const admin = { user: "steward", password: "admin-password" };

function simulator(pods: number): ReplicaSetSimulator {
  return new ReplicaSetSimulator("db", Array.from({ length: pods }, (_, ordinal) => pod(ordinal)), host);
}

/** The simulator's clock moves while the caller waits, as a real set's would. */
function waitOn(sim: ReplicaSetSimulator) {
  return async (check: () => Promise<boolean>) => {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      if (await check()) return true;
      sim.tick(500);
    }
    return false;
  };
}

async function bootstrap(sim: ReplicaSetSimulator) {
  return bootstrapReplicaSet(sim.connect(pod(0), { localhost: true }), { setName: "db", first: desiredMembers(1, pod, host)[0]!, admin, waitForPrimary: waitOn(sim) });
}

async function hellos(sim: ReplicaSetSimulator): Promise<Map<string, HelloFacts | undefined>> {
  const result = new Map<string, HelloFacts | undefined>();
  for (const name of sim.members.keys()) result.set(name, await sim.connect(name).hello().catch(() => undefined));
  return result;
}

/** One operator pass as heal runs it: find the primary, run one membership step (a step-down first when the step asks). */
async function operatorPass(sim: ReplicaSetSimulator, count: number): Promise<MembershipStep> {
  const { primary } = detectPrimary(await hellos(sim));
  if (!primary) return { action: "wait", reason: "no primary" };
  const podsUp = new Set([...sim.members.values()].filter((member) => member.up).map((member) => member.pod));
  const step = await stepMembership(sim.connect(primary, { credentials: admin }), { setName: "db", desired: desiredMembers(count, pod, host), primaryHost: host(primary), podsUp });
  if (step.action === "stepDown") {
    const members = new Map<string, MemberCommands>([...sim.members.keys()].map((name) => [name, sim.connect(name, { credentials: admin })]));
    // Candidates in ordinal order; one that cannot win now (it stepped down itself a moment ago) is skipped.
    const candidates = [...sim.members.keys()].filter((name) => name !== primary && Number(name.split("-")[1]) < count && sim.member(name).up);
    for (const target of candidates) if ((await switchover(members, primary, target, waitOn(sim))).ok) break;
  }
  sim.tick(1000);
  return step;
}

async function converge(sim: ReplicaSetSimulator, count: number): Promise<MembershipStep[]> {
  const steps: MembershipStep[] = [];
  for (let pass = 0; pass < 60; pass += 1) {
    const step = await operatorPass(sim, count);
    if (step.action === "done") return steps;
    steps.push(step);
  }
  throw new Error(`did not converge: ${sim.history.join("; ")}`);
}

describe("bootstrap through the localhost exception (simulator)", () => {
  it("initiates, creates the admin, and does nothing when run again", async () => {
    const sim = simulator(3);
    expect(await bootstrap(sim)).toBe("adminCreated");
    expect(sim.primary).toBe("db-0");
    expect(await bootstrap(sim)).toBe("alreadyDone");
    expect(sim.history.filter((line) => line.startsWith("initiated"))).toHaveLength(1);
  });

  it("finishes after a crash between initiate and the admin user", async () => {
    const sim = simulator(1);
    await sim.connect(pod(0), { localhost: true }).replSetInitiate({ _id: "db", version: 1, members: [{ _id: 0, host: host("db-0") }] });
    expect(await bootstrap(sim)).toBe("adminCreated");
    expect(sim.users.get("admin.steward")).toBe("admin-password");
  });

  it("creates the application user once and follows its password", async () => {
    const sim = simulator(1);
    await bootstrap(sim);
    const primary = sim.connect(pod(0), { credentials: admin });
    expect(await ensureApplicationUser(primary, "orders", { user: "app", password: "one" })).toBe("created");
    expect(await ensureApplicationUser(primary, "orders", { user: "app", password: "two" })).toBe("updated");
    expect(sim.users.get("orders.app")).toBe("two");
    await expect(sim.connect(pod(0), { localhost: true }).userExists("admin", "steward")).rejects.toMatchObject({ code: 13 });
  });
});

describe("membership steps the simulator accepts", () => {
  it.each([
    [3, 3],
    [3, 5],
    [5, 3],
    [5, 9],
    [9, 1],
  ])("grows or shrinks %i -> %i members, one accepted reconfig at a time", async (from, to) => {
    const sim = simulator(Math.max(from, to));
    await bootstrap(sim);
    await converge(sim, from);
    expect(sim.config?.members).toHaveLength(from);
    const steps = await converge(sim, to);
    expect(sim.config?.members.map((member) => member.host).sort()).toEqual(desiredMembers(to, pod, host).map((member) => member.host).sort());
    expect(voterCount(sim.config!) % 2).toBe(1);
    expect(sim.config!.members.some((member) => member.newlyAdded)).toBe(false);
    expect(steps.filter((step) => step.action === "reconfig")).toHaveLength(Math.abs(to - from));
    expect(sim.primary && Number(sim.primary.split("-")[1])).toBeLessThan(to);
  });

  it("moves the primary off a member that scale-in removes before removing it", async () => {
    const sim = simulator(5);
    await bootstrap(sim);
    await converge(sim, 5);
    const primary = sim.connect(pod(0), { credentials: admin });
    await switchover(new Map([...sim.members.keys()].map((name) => [name, sim.connect(name, { credentials: admin })])), "db-0", "db-4", waitOn(sim));
    expect(sim.primary).toBe("db-4");
    await converge(sim, 3);
    expect(sim.history.join("; ")).toMatch(/db-4 stepped down.*reconfig to version \d+: db-0,db-1,db-2,db-3/);
    expect(await primary.hello()).toMatchObject({ setVersion: sim.config?.version });
  });

  it("refuses what the planner never sends: two voters at once, a stale version, an eighth voter", async () => {
    const sim = simulator(9);
    await bootstrap(sim);
    await converge(sim, 7);
    const primary = sim.connect(sim.primary!, { credentials: admin });
    const { config } = (await primary.replSetGetConfig())!;
    const base = { ...config, members: config.members.map(({ newlyAdded: _n, ...member }) => member) };
    await expect(primary.replSetReconfig({ ...base, version: config.version })).rejects.toMatchObject({ code: 103 });
    await expect(primary.replSetReconfig({ ...base, version: config.version + 1, members: [...base.members, { _id: 7, host: host("db-7"), votes: 1, priority: 1 }] })).rejects.toThrow(/at most 7/);
    const twoRemoved = base.members.filter((member) => member._id < 5);
    await expect(primary.replSetReconfig({ ...base, version: config.version + 1, members: twoRemoved })).rejects.toThrow(/one voting member/);
  });
});

describe("elections and switchover (simulator)", () => {
  it("follows MongoDB's election when the primary dies, and names the change", async () => {
    const sim = simulator(3);
    await bootstrap(sim);
    await converge(sim, 3);
    sim.write(10);
    const before = detectPrimary(await hellos(sim)).primary;
    sim.kill(before!);
    sim.tick(1000);
    const after = detectPrimary(await hellos(sim)).primary;
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    expect(primaryChange(before, after)).toBe(`MongoDB elected ${after} primary in place of ${before}`);
  });

  it("switches over to the requested member: others frozen, the primary steps down, the target wins, nobody stays frozen", async () => {
    const sim = simulator(5);
    await bootstrap(sim);
    await converge(sim, 5);
    sim.write(5);
    const members = new Map([...sim.members.keys()].map((name) => [name, sim.connect(name, { credentials: admin })]));
    const outcome = await switchover(members, "db-0", "db-3", waitOn(sim));
    expect(outcome).toEqual({ ok: true, message: "Switched the primary from db-0 to db-3" });
    expect(sim.primary).toBe("db-3");
    expect([...sim.members.values()].every((member) => member.frozenUntil === 0)).toBe(true);
  });

  it("refuses a switchover while no secondary has caught up", async () => {
    const sim = simulator(3);
    await bootstrap(sim);
    await converge(sim, 3);
    sim.member("db-1").paused = true;
    sim.member("db-2").paused = true;
    sim.write(3);
    const members = new Map([...sim.members.keys()].map((name) => [name, sim.connect(name, { credentials: admin })]));
    const outcome = await switchover(members, "db-0", "db-1", waitOn(sim));
    expect(outcome.ok).toBe(false);
    expect(sim.primary).toBe("db-0");
  });

  it("with dataLoss allowed, a forced reconfig on the survivors gets a primary back after a majority is lost for good", async () => {
    const sim = simulator(3);
    await bootstrap(sim);
    await converge(sim, 3);
    sim.kill("db-0");
    sim.kill("db-1");
    sim.tick(5000);
    expect(sim.primary).toBeUndefined();
    const survivor = sim.connect("db-2", { credentials: admin });
    const { config } = (await survivor.replSetGetConfig())!;
    const plan = planForcedReconfig(config, new Set([host("db-2")]));
    expect(plan).toBeDefined();
    await survivor.replSetReconfig(plan!.config, { force: true });
    expect(sim.primary).toBe("db-2");
    expect(sim.config!.members.map((member) => [member.host, votesOf(member)])).toEqual([[host("db-2"), 1]]);
  });
});
