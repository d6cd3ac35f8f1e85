import { describe, expect, it } from "vitest";
import { planForcedReconfig, planMembership, type MembershipInput, type MembershipStep } from "./planner.js";
import { desiredMembers, voterCount, votesOf, type MemberConfig, type ReplSetConfig } from "./replset-config.js";

const host = (pod: string) => `${pod}.db-headless.shop.svc.cluster.local:27017`;
const pod = (ordinal: number) => `db-${ordinal}`;
const desired = (count: number) => desiredMembers(count, pod, host);
const allPods = new Set(Array.from({ length: 12 }, (_, ordinal) => pod(ordinal)));

function configOf(members: (Partial<MemberConfig> & { host: string })[], version = 1): ReplSetConfig {
  return { _id: "db", version, term: 3, members: members.map((member, index) => ({ _id: index, votes: 1, priority: 1, ...member })) };
}

function input(config: ReplSetConfig | undefined, count: number, overrides: Partial<MembershipInput> = {}): MembershipInput {
  return {
    config,
    desired: desired(count),
    primary: config?.members[0]?.host,
    members: (config?.members ?? []).map((member, index) => ({ host: member.host, state: index === 0 ? 1 : 2, healthy: true })),
    committed: true,
    podsUp: allPods,
    ...overrides,
  };
}

/**
 * Plays every step the planner gives as a server that accepts it would (newly added voters
 * catch up before the next pass), checking the invariants between steps, until "done".
 */
function converge(start: ReplSetConfig, count: number): { config: ReplSetConfig; steps: MembershipStep[] } {
  let config = start;
  const steps: MembershipStep[] = [];
  for (let pass = 0; pass < 40; pass += 1) {
    const step = planMembership(input(config, count), "db");
    if (step.action === "done") return { config, steps };
    steps.push(step);
    if (step.action !== "reconfig") throw new Error(`unexpected ${step.action}: ${"reason" in step ? step.reason : ""}`);
    const before = new Map(config.members.map((member) => [member.host, votesOf(member)]));
    const after = new Map(step.config.members.map((member) => [member.host, votesOf(member)]));
    let voterChanges = 0;
    for (const hostName of new Set([...before.keys(), ...after.keys()])) if ((before.get(hostName) ?? 0) !== (after.get(hostName) ?? 0)) voterChanges += 1;
    expect(voterChanges, step.reason).toBeLessThanOrEqual(1);
    expect(step.config.version).toBe(config.version + 1);
    expect(voterCount(step.config)).toBeLessThanOrEqual(7);
    expect(step.config.members.every((member) => member.newlyAdded === undefined)).toBe(true);
    expect(step.config.members.every((member) => votesOf(member) > 0 || member.priority === 0)).toBe(true);
    expect("term" in step.config).toBe(false);
    config = step.config;
  }
  throw new Error("did not converge in 40 steps");
}

describe("planMembership", () => {
  it("initiates on pod 0 alone when the set was never initiated, once that pod runs", () => {
    expect(planMembership(input(undefined, 3, { podsUp: new Set() }), "db")).toMatchObject({ action: "wait" });
    const step = planMembership(input(undefined, 3), "db");
    expect(step).toEqual({ action: "initiate", config: { _id: "db", version: 1, members: [{ _id: 0, host: host("db-0"), votes: 1, priority: 1 }] }, reason: expect.any(String) });
  });

  const scales: [number, number, number][] = [
    // from, to, reconfigs expected
    [1, 3, 2],
    [3, 5, 2],
    [3, 4, 1],
    [4, 5, 2],
    [5, 3, 2],
    [3, 1, 2],
    [7, 9, 2],
    [9, 7, 2],
    [7, 8, 1],
    [1, 9, 8],
    [9, 1, 8],
    [8, 3, 5],
  ];
  it.each(scales)("scales %i -> %i members in %i single-change steps, ending with odd voters", (from, to, count) => {
    const start = configOf(desired(from).map((member) => ({ host: member.host, votes: member.votes, priority: member.priority })));
    const { config, steps } = converge(start, to);
    expect(steps).toHaveLength(count);
    expect(config.members.map((member) => member.host).sort()).toEqual(desired(to).map((member) => member.host).sort());
    expect(voterCount(config) % 2).toBe(1);
    expect(voterCount(config)).toBe(Math.min(7, to % 2 ? to : to - 1));
  });

  it("fixes a member written under another address of its pod in place, keeping its _id", () => {
    const start = configOf([{ host: "db-0:27017" }, { host: host("db-1") }, { host: host("db-2") }]);
    const step = planMembership(input(start, 3, { primary: host("db-1") }), "db");
    expect(step).toMatchObject({ action: "reconfig" });
    if (step.action !== "reconfig") return;
    expect(step.config.members[0]).toMatchObject({ _id: 0, host: host("db-0") });
  });

  it("asks the primary to step down before removing it", () => {
    const start = configOf(desired(5).map((member) => ({ host: member.host })));
    const step = planMembership(input(start, 3, { primary: host("db-4") }), "db");
    expect(step).toMatchObject({ action: "stepDown" });
  });

  it("waits while a member added as a voter is newlyAdded, or still syncing", () => {
    const start = configOf([{ host: host("db-0") }, { host: host("db-1"), newlyAdded: true }]);
    expect(planMembership(input(start, 3), "db")).toMatchObject({ action: "wait", reason: expect.stringContaining("newlyAdded") });
    const syncing = configOf([{ host: host("db-0") }, { host: host("db-1") }]);
    const members = [
      { host: host("db-0"), state: 1, healthy: true },
      { host: host("db-1"), state: 5, healthy: true },
    ];
    expect(planMembership(input(syncing, 3, { members }), "db")).toMatchObject({ action: "wait", reason: expect.stringContaining("not a secondary yet") });
  });

  it("waits while the last change is uncommitted or there is no primary, and for pods that do not run yet", () => {
    const start = configOf([{ host: host("db-0") }]);
    expect(planMembership(input(start, 3, { committed: false }), "db")).toMatchObject({ action: "wait", reason: expect.stringContaining("majority") });
    expect(planMembership(input(start, 3, { primary: undefined }), "db")).toMatchObject({ action: "wait", reason: expect.stringContaining("no primary") });
    expect(planMembership(input(start, 3, { podsUp: new Set(["db-0"]) }), "db")).toMatchObject({ action: "wait", reason: expect.stringContaining("db-1 is not running") });
  });

  it("removes a member whose pod is gone without waiting on it, and keeps fields it does not own", () => {
    const start: ReplSetConfig = { ...configOf(desired(3).map((member) => ({ host: member.host, tags: { zone: "a" } }))), settings: { electionTimeoutMillis: 5000 } };
    const members = [
      { host: host("db-0"), state: 1, healthy: true },
      { host: host("db-1"), state: 2, healthy: true },
      { host: host("db-2"), state: 8, healthy: false },
    ];
    const step = planMembership(input(start, 2, { members }), "db");
    expect(step).toMatchObject({ action: "reconfig", config: { settings: { electionTimeoutMillis: 5000 } } });
    if (step.action !== "reconfig") return;
    expect(step.config.members.map((member) => member.host)).toEqual([host("db-0"), host("db-1")]);
    expect(step.config.members[0]).toMatchObject({ tags: { zone: "a" } });
  });

  it("is done when the set is as desired", () => {
    const start = configOf(desired(4).map((member) => ({ host: member.host, votes: member.votes, priority: member.priority })));
    expect(planMembership(input(start, 4), "db")).toEqual({ action: "done" });
  });
});

describe("desiredMembers", () => {
  it.each([
    [1, 1],
    [2, 1],
    [3, 3],
    [4, 3],
    [7, 7],
    [8, 7],
    [12, 7],
  ])("%i pods -> %i voters", (pods, voters) => {
    const members = desired(pods);
    expect(members.filter((member) => member.votes === 1)).toHaveLength(voters);
    expect(members.filter((member) => member.votes === 0).every((member) => member.priority === 0)).toBe(true);
  });
});

describe("planForcedReconfig", () => {
  const five = configOf(desired(5).map((member) => ({ host: member.host })), 7);
  it("does nothing while a majority of voters answers", () => {
    expect(planForcedReconfig(five, new Set([host("db-0"), host("db-1"), host("db-2")]))).toBeUndefined();
  });
  it("keeps the survivors with an odd number of voters when a majority is lost", () => {
    const plan = planForcedReconfig(five, new Set([host("db-0"), host("db-3")]));
    expect(plan?.config.members.map((member) => [member.host, member.votes])).toEqual([
      [host("db-0"), 1],
      [host("db-3"), 0],
    ]);
    expect(plan?.config.version).toBeGreaterThan(7);
    expect(plan?.reason).toContain(host("db-1"));
  });
});
