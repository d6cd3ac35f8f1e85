import { describe, expect, it } from "vitest";
import type { RedisFacts } from "./info.js";
import { chooseFailoverCandidate, chooseSwitchoverTarget, desiredRoleLabel, failoverDelayRemainingMs, planReplica, primaryHealth, type RedisInstanceView } from "./planner.js";

const P = "a".repeat(40); // the failed primary's history
const Q = "b".repeat(40); // a history after a promotion
const R = "c".repeat(40); // a restarted instance's fresh history
const host = (pod: string) => `${pod}.db-headless.ns.svc.cluster.local`;

function facts(overrides: Partial<RedisFacts>): RedisFacts {
  return {
    version: "7.0.15",
    runId: "r",
    uptimeSeconds: 100,
    role: "slave",
    replid: P,
    replid2: "0".repeat(40),
    secondOffset: -1,
    offset: 1000,
    masterHost: host("db-0"),
    masterPort: 6379,
    linkUp: true,
    syncInProgress: false,
    replicas: [],
    failoverState: "no-failover",
    loading: false,
    aofEnabled: true,
    lastBgsaveOk: true,
    lastAofWriteOk: true,
    ...overrides,
  };
}

function view(name: string, overrides: Partial<RedisInstanceView> & { f?: Partial<RedisFacts> | null } = {}): RedisInstanceView {
  const { f, ...rest } = overrides;
  const result: RedisInstanceView = { name, ordinal: Number(name.split("-")[1]), podExists: true, podReady: true, terminating: false, last: { replid: P, offset: 900, streaming: true }, ...rest };
  if (f !== null) result.facts = facts(f ?? {});
  return result;
}

const deadPrimary = view("db-0", { f: null });

describe("primaryHealth", () => {
  it.each([
    [undefined, false, /pod does not exist/],
    [view("db-0", { podExists: false, f: null }), false, /pod does not exist/],
    [view("db-0", { terminating: true, f: { role: "master" } }), false, /being deleted/],
    [view("db-0", { f: null }), false, /does not answer/],
    [view("db-0", { f: { role: "master", loading: true } }), false, /loading/],
    [view("db-0", { f: { role: "slave", replid: R, offset: 0 } }), false, /came back as a replica/],
    [view("db-0", { f: { role: "master" } }), true, undefined],
  ])("case %#", (input, healthy, reason) => {
    const health = primaryHealth(input, "db-0");
    expect(health.healthy).toBe(healthy);
    if (!health.healthy) expect(health.reason).toMatch(reason!);
  });
});

describe("failoverDelayRemainingMs", () => {
  it("counts down from the moment the primary became unhealthy", () => {
    const since = new Date("2026-11-25T10:00:00.000Z");
    expect(failoverDelayRemainingMs(since, 5, new Date("2026-11-25T10:00:01.500Z"))).toBe(3500);
    expect(failoverDelayRemainingMs(since, 5, new Date("2026-11-25T10:00:06.000Z"))).toBe(0);
    expect(failoverDelayRemainingMs(since, 0, since)).toBe(0);
  });
});

describe("chooseFailoverCandidate", () => {
  const cases: { name: string; instances: RedisInstanceView[]; lineage?: string; dataLoss?: "none" | "allowed"; expected: { action: string; candidate?: string; reason?: RegExp } }[] = [
    {
      name: "promotes the replica with the highest offset on the primary's history",
      instances: [deadPrimary, view("db-1", { f: { offset: 1200 } }), view("db-2", { f: { offset: 1500 } })],
      expected: { action: "promote", candidate: "db-2", reason: /offset 1500/ },
    },
    {
      name: "breaks a tie by readiness, then by the lowest ordinal",
      instances: [deadPrimary, view("db-1", { podReady: false, f: { offset: 1500 } }), view("db-2", { f: { offset: 1500 } }), view("db-3", { f: { offset: 1500 } })],
      expected: { action: "promote", candidate: "db-2" },
    },
    {
      name: "waits while a replica that was streaming does not answer (dataLoss none)",
      instances: [deadPrimary, view("db-1", { f: { offset: 1200 } }), view("db-2", { f: null })],
      expected: { action: "wait", reason: /db-2 does not answer/ },
    },
    {
      name: "does not wait for a silent replica that was not streaming when last seen",
      instances: [deadPrimary, view("db-1", { f: { offset: 1200 } }), view("db-2", { f: null, last: { replid: P, offset: 500, streaming: false } })],
      expected: { action: "promote", candidate: "db-1" },
    },
    {
      name: "waits for a silent replica never recorded whose pod exists, not for one without a pod",
      instances: [deadPrimary, view("db-1", { f: { offset: 1200 } }), view("db-2", { f: null, last: undefined })],
      expected: { action: "wait", reason: /db-2 does not answer/ },
    },
    {
      name: "does not wait for a replica that was never recorded and has no pod (a scale-out that never started)",
      instances: [deadPrimary, view("db-1", { f: { offset: 1200 } }), view("db-2", { f: null, last: undefined, podExists: false })],
      expected: { action: "promote", candidate: "db-1" },
    },
    {
      name: "does not wait for a silent replica with dataLoss allowed",
      instances: [deadPrimary, view("db-1", { f: { offset: 1200 } }), view("db-2", { f: null })],
      dataLoss: "allowed",
      expected: { action: "promote", candidate: "db-1" },
    },
    {
      name: "waits when a replica that restarted had acknowledged more than any candidate holds (dataLoss none)",
      instances: [deadPrimary, view("db-1", { f: { offset: 1200 } }), view("db-2", { f: { replid: R, offset: 0, linkUp: false }, last: { replid: P, offset: 1300, streaming: true } })],
      expected: { action: "wait", reason: /db-2 had reached offset 1300 before it restarted/ },
    },
    {
      name: "promotes past a restarted replica whose recorded offset the candidate covers",
      instances: [deadPrimary, view("db-1", { f: { offset: 1400 } }), view("db-2", { f: { replid: R, offset: 0, linkUp: false }, last: { replid: P, offset: 1300, streaming: true } })],
      expected: { action: "promote", candidate: "db-1", reason: /not eligible: db-2 is not on the primary's replication history/ },
    },
    {
      name: "with dataLoss allowed, promotes the best candidate even below a restarted replica's record",
      instances: [deadPrimary, view("db-1", { f: { offset: 1200 } }), view("db-2", { f: { replid: R, offset: 0 }, last: { replid: P, offset: 1300, streaming: true } })],
      dataLoss: "allowed",
      expected: { action: "promote", candidate: "db-1" },
    },
    {
      name: "never promotes a loading, terminating or syncing instance",
      instances: [deadPrimary, view("db-1", { f: { offset: 1600, loading: true } }), view("db-2", { terminating: true, f: { offset: 1700 } }), view("db-3", { f: { offset: 1200 } })],
      expected: { action: "wait", reason: /db-2 holds more than any eligible replica/ },
    },
    {
      name: "promotes an instance already promoted by an interrupted pass (its previous history is the primary's)",
      instances: [deadPrimary, view("db-1", { f: { role: "master", replid: Q, replid2: P, secondOffset: 1501, offset: 1500 } }), view("db-2", { f: { offset: 1400 } })],
      expected: { action: "promote", candidate: "db-1" },
    },
    {
      name: "lets the old primary resume when every instance restarted (a full crash)",
      instances: [view("db-0", { f: { role: "slave", replid: R, offset: 0, linkUp: false } }), view("db-1", { f: { replid: "d".repeat(40), offset: 0, linkUp: false } }), view("db-2", { f: { replid: "e".repeat(40), offset: 0, linkUp: false } })],
      expected: { action: "reopen", reason: /every instance restarted/ },
    },
    {
      name: "fails over rather than reopening a primary that restarted while replicas kept its history",
      instances: [view("db-0", { f: { role: "slave", replid: R, offset: 0, linkUp: false } }), view("db-1", { f: { offset: 1500, linkUp: false } }), view("db-2", { f: { offset: 1400, linkUp: false } })],
      expected: { action: "promote", candidate: "db-1" },
    },
    {
      name: "waits when nothing answers",
      instances: [deadPrimary, view("db-1", { f: null, last: { replid: P, offset: 1, streaming: false } }), view("db-2", { f: null, last: { replid: P, offset: 1, streaming: false } })],
      expected: { action: "wait", reason: /no replica can be promoted/ },
    },
    {
      name: "a single instance that comes back resumes",
      instances: [view("db-0", { f: { role: "slave", replid: R, offset: 0, linkUp: false } })],
      expected: { action: "reopen" },
    },
    {
      name: "with dataLoss allowed and no replica on the history, promotes the lowest ordinal that answers",
      instances: [deadPrimary, view("db-1", { f: { replid: R, offset: 0 } }), view("db-2", { f: { replid: "d".repeat(40), offset: 0 } })],
      dataLoss: "allowed",
      expected: { action: "promote", candidate: "db-1", reason: /dataLoss is allowed/ },
    },
    {
      name: "with dataLoss none and no replica on the history while the old primary is silent, waits",
      instances: [deadPrimary, view("db-1", { f: { replid: R, offset: 0 }, last: { replid: P, offset: 900, streaming: false } }), view("db-2", { f: { replid: "d".repeat(40), offset: 0 }, last: { replid: P, offset: 900, streaming: false } })],
      expected: { action: "wait" },
    },
  ];
  it.each(cases)("$name", ({ instances, lineage, dataLoss, expected }) => {
    const plan = chooseFailoverCandidate(instances, "db-0", lineage ?? P, dataLoss ?? "none");
    expect(plan.action).toBe(expected.action);
    if (expected.candidate) expect(plan).toMatchObject({ candidate: expected.candidate });
    if (expected.reason) expect(plan.reason).toMatch(expected.reason);
  });
});

describe("chooseSwitchoverTarget", () => {
  const primary = view("db-0", { f: { role: "master", offset: 2000, masterHost: undefined } });
  const instances = [primary, view("db-1", { f: { offset: 1990 } }), view("db-2", { f: { offset: 2000 } }), view("db-3", { podReady: false, f: { offset: 2000 } })];

  it("picks the most advanced streaming, ready replica for auto", () => {
    expect(chooseSwitchoverTarget(instances, primary, "auto", host)).toMatchObject({ action: "switchover", target: "db-2" });
  });

  it("honours allowed (scale-in) and a named target", () => {
    expect(chooseSwitchoverTarget(instances, primary, "auto", host, (name) => name !== "db-2")).toMatchObject({ target: "db-1" });
    expect(chooseSwitchoverTarget(instances, primary, "db-1", host)).toMatchObject({ action: "switchover", target: "db-1" });
  });

  it.each([
    ["db-0", /already the primary/],
    ["db-9", /not an instance/],
    ["db-3", /not ready/],
  ])("refuses %s", (request, reason) => {
    const plan = chooseSwitchoverTarget(instances, primary, request, host);
    expect(plan.action).toBe("refuse");
    expect(plan.reason).toMatch(reason);
  });

  it("refuses a replica that does not stream from the primary", () => {
    const lagging = [primary, view("db-1", { f: { linkUp: false } }), view("db-2", { f: { masterHost: host("db-1") } })];
    expect(chooseSwitchoverTarget(lagging, primary, "auto", host)).toMatchObject({ action: "refuse", reason: expect.stringMatching(/db-1 is not streaming.*db-2 is not streaming/) });
  });
});

describe("planReplica", () => {
  it.each([
    [view("db-1", { f: null }), "wait"],
    [view("db-1", { f: { loading: true } }), "wait"],
    [view("db-1", { f: { role: "master" } }), "replicate"],
    [view("db-1", { f: { masterHost: host("db-2") } }), "replicate"],
    [view("db-1", { f: { masterHost: "db-primary.ns.svc.cluster.local", linkUp: false } }), "replicate"],
    [view("db-1", { f: { linkUp: false } }), "none"],
    [view("db-1", { f: { syncInProgress: true } }), "none"],
    [view("db-1", {}), "none"],
  ])("case %#: %s", (input, action) => {
    expect(planReplica(input, host("db-0")).action).toBe(action);
  });

  it("re-points a replica following the primary on another port (TLS switched on, or the primary restarted with it)", () => {
    expect(planReplica(view("db-1", { f: { masterPort: 6379 } }), host("db-0"), 6380)).toMatchObject({ action: "replicate", reason: "db-1 replicates from port 6379 of the primary, not 6380" });
    expect(planReplica(view("db-1", { f: { masterPort: 6380 } }), host("db-0"), 6380).action).toBe("none");
  });
});

describe("desiredRoleLabel", () => {
  const primary = view("db-0", { f: { role: "master", masterHost: undefined } });
  it.each([
    ["the serving primary", primary, true, "primary"],
    ["a primary that does not serve", primary, false, undefined],
    ["a streaming replica", view("db-1", {}), true, "replica"],
    ["a replica mid-copy", view("db-1", { f: { syncInProgress: true, replid: R } }), true, undefined],
    ["a labelled replica whose link just dropped", view("db-1", { label: "replica", f: { linkUp: false } }), true, "keep"],
    ["a silent replica", view("db-1", { label: "replica", f: null }), true, "keep"],
    ["a silent pod still labelled primary", view("db-1", { label: "primary", f: null }), true, undefined],
    ["a stray primary", view("db-1", { label: "replica", f: { role: "master", masterHost: undefined } }), true, undefined],
  ])("%s", (_name, input, serves, expected) => {
    expect(desiredRoleLabel(input, primary, host("db-0"), serves)).toBe(expected);
  });
});
