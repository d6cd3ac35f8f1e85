import { describe, expect, it } from "vitest";
import { formatGtid, parseGtid } from "./gtid.js";
import { chooseFailoverCandidate, chooseSwitchoverTarget, mayReopenPrimary, planReplica, type InstanceView } from "./planner.js";

const g = (text: string) => parseGtid("mariadb", text);

/** A streaming replica at `received`, applied up to `executed` (default: all of it). */
function replica(name: string, received: string, options: Partial<Omit<InstanceView, "executed">> & { executed?: string } = {}): InstanceView {
  const { executed, ...rest } = options;
  return {
    name,
    ordinal: Number(name.split("-").pop()),
    reachable: true,
    podReady: true,
    readOnly: true,
    executed: g(executed ?? received),
    received: g(received),
    replication: { sourceHost: "db-0.h", ioRunning: "Yes", sqlRunning: true, ioErrno: 0, ioError: "", sqlErrno: 0, sqlError: "" },
    wasReplicating: true,
    ...rest,
  };
}

const down = (name: string, wasReplicating?: boolean): InstanceView => ({ name, ordinal: Number(name.split("-").pop()), reachable: false, podReady: false, wasReplicating });

describe("chooseFailoverCandidate", () => {
  const cases: { title: string; instances: InstanceView[]; dataLoss: "none" | "allowed"; expected: string }[] = [
    { title: "the replica that received the most wins", instances: [down("db-0"), replica("db-1", "0-1-90"), replica("db-2", "0-1-100")], dataLoss: "none", expected: "promote db-2" },
    { title: "received, not applied, counts: a lagging SQL thread is waited for, not skipped", instances: [down("db-0"), replica("db-1", "0-1-100", { executed: "0-1-40" }), replica("db-2", "0-1-95")], dataLoss: "none", expected: "promote db-1" },
    { title: "a tie goes to the caught-up replica", instances: [down("db-0"), replica("db-1", "0-1-100", { executed: "0-1-99" }), replica("db-2", "0-1-100")], dataLoss: "none", expected: "promote db-2" },
    { title: "a full tie goes to the lowest ordinal", instances: [down("db-0"), replica("db-2", "0-1-100"), replica("db-1", "0-1-100")], dataLoss: "none", expected: "promote db-1" },
    { title: "a pod that is not ready is never promoted", instances: [down("db-0"), replica("db-1", "0-1-100", { podReady: false }), replica("db-2", "0-1-90")], dataLoss: "none", expected: "wait: no replica holds everything" },
    { title: "dataLoss none waits while a replica that may have acknowledged is unreachable", instances: [down("db-0"), down("db-1"), replica("db-2", "0-1-100")], dataLoss: "none", expected: "wait: cannot prove which replica has every acknowledged write while db-1 is unreachable" },
    { title: "unknown history counts as possibly acknowledging", instances: [down("db-0"), down("db-1", undefined), replica("db-2", "0-1-100")], dataLoss: "none", expected: "wait: cannot prove" },
    { title: "a replica that was not streaming when last seen cannot have acknowledged", instances: [down("db-0"), down("db-1", false), replica("db-2", "0-1-100")], dataLoss: "none", expected: "promote db-2" },
    { title: "dataLoss allowed promotes the best reachable replica", instances: [down("db-0"), down("db-1"), replica("db-2", "0-1-100")], dataLoss: "allowed", expected: "promote db-2" },
    { title: "errant transactions exclude a replica, however advanced", instances: [down("db-0"), replica("db-1", "0-1-100", { errant: "0-2-101" }), replica("db-2", "0-1-100")], dataLoss: "none", expected: "promote db-2" },
    {
      title: "an errant replica that also received more than the others blocks: its acknowledged writes would be lost",
      instances: [down("db-0"), replica("db-1", "0-1-120", { errant: "0-2-101" }), replica("db-2", "0-1-100")],
      dataLoss: "none",
      expected: "wait: no replica holds everything the others received",
    },
    { title: "a broken SQL thread excludes a replica", instances: [down("db-0"), replica("db-1", "0-1-100", { replication: { sourceHost: "x", ioRunning: "Yes", sqlRunning: false, ioErrno: 0, ioError: "", sqlErrno: 1062, sqlError: "Duplicate entry" } }), replica("db-2", "0-1-100")], dataLoss: "none", expected: "promote db-2" },
    { title: "a terminating pod is never promoted", instances: [down("db-0"), replica("db-1", "0-1-100", { terminating: true }), replica("db-2", "0-1-90")], dataLoss: "allowed", expected: "wait: no replica holds everything" },
    { title: "forked histories: nobody holds everything", instances: [down("db-0"), replica("db-1", "0-1-100"), replica("db-2", "0-2-100")], dataLoss: "none", expected: "wait: no replica holds everything" },
    { title: "no replica at all", instances: [down("db-0")], dataLoss: "allowed", expected: "wait: no other instance" },
    { title: "every replica unreachable", instances: [down("db-0"), down("db-1"), down("db-2")], dataLoss: "allowed", expected: "wait: no replica can be promoted" },
  ];
  it.each(cases)("$title", ({ instances, dataLoss, expected }) => {
    const plan = chooseFailoverCandidate(instances, "db-0", dataLoss);
    const text = plan.action === "promote" ? `promote ${plan.candidate}` : `wait: ${plan.reason}`;
    expect(text.startsWith(expected)).toBe(true);
  });
  it("asks the candidate to apply everything it received before it takes writes", () => {
    const plan = chooseFailoverCandidate([down("db-0"), replica("db-1", "0-1-100", { executed: "0-1-40" })], "db-0", "none");
    expect(plan.action === "promote" && formatGtid(plan.waitFor)).toBe("0-1-100");
  });
  it("works the same on MySQL GTID sets", () => {
    const A = "73f86016-978b-11ee-ade5-8d2a2a562feb";
    const m = (name: string, set: string): InstanceView => ({ ...replica(name, "0-1-1"), executed: parseGtid("mysql", set), received: parseGtid("mysql", set) });
    const plan = chooseFailoverCandidate([down("db-0"), m("db-1", `${A}:1-9`), m("db-2", `${A}:1-10`)], "db-0", "none");
    expect(plan.action === "promote" && plan.candidate).toBe("db-2");
  });
});

describe("mayReopenPrimary (the primary came back read-only)", () => {
  const primary = (position: string): InstanceView => ({ ...replica("db-0", position), replication: undefined });
  it("reopens a primary that holds everything the replicas received", () => {
    expect(mayReopenPrimary(primary("0-1-100"), [primary("0-1-100"), replica("db-1", "0-1-100"), down("db-2")])).toEqual({ reopen: true });
  });
  it("does not reopen a primary whose volume was replaced (it holds less than a replica)", () => {
    const decision = mayReopenPrimary(primary(""), [primary(""), replica("db-1", "0-1-100")]);
    expect(decision.reopen).toBe(false);
    expect(decision.reopen === false && decision.reason).toContain("db-1 received transactions db-0 does not have (0-1-100)");
  });
});

describe("chooseSwitchoverTarget", () => {
  const primary = { ...replica("db-0", "0-1-100"), readOnly: false, replication: undefined };
  it("auto picks the most advanced healthy replica", () => {
    expect(chooseSwitchoverTarget([primary, replica("db-1", "0-1-99"), replica("db-2", "0-1-100")], "db-0", "auto")).toMatchObject({ action: "switchover", target: "db-2" });
  });
  it("auto prefers the replica that applied the most over one that received more but lags applying it", () => {
    const rejoined = replica("db-1", "0-1-100", { executed: "0-1-40" });
    expect(chooseSwitchoverTarget([primary, rejoined, replica("db-2", "0-1-99")], "db-0", "auto")).toEqual({
      action: "switchover",
      target: "db-2",
      reason: "db-2 is the healthy replica that applied the most",
    });
  });
  it("honours a named target when it is healthy", () => {
    expect(chooseSwitchoverTarget([primary, replica("db-1", "0-1-99"), replica("db-2", "0-1-100")], "db-0", "db-1")).toMatchObject({ action: "switchover", target: "db-1" });
  });
  it.each([
    ["db-0", "db-0 is already the primary"],
    ["db-7", "db-7 is not an instance of this cluster"],
    ["db-2", "db-2 is not replicating"],
  ])("refuses %s: %s", (request, reason) => {
    const broken = replica("db-2", "0-1-100", { replication: { sourceHost: "x", ioRunning: "Connecting", sqlRunning: true, ioErrno: 0, ioError: "", sqlErrno: 0, sqlError: "" } });
    expect(chooseSwitchoverTarget([primary, replica("db-1", "0-1-99"), broken], "db-0", request)).toEqual({ action: "refuse", reason });
  });
  it("skips instances that scale-in removes", () => {
    const oldPrimary = { ...replica("db-2", "0-1-100"), readOnly: false, replication: undefined };
    expect(chooseSwitchoverTarget([replica("db-0", "0-1-100"), replica("db-1", "0-1-100"), oldPrimary], "db-2", "auto", (name) => name !== "db-1")).toMatchObject({ target: "db-0" });
  });
});

describe("planReplica", () => {
  const primary = { ...replica("db-0", "0-1-100"), readOnly: false, replication: undefined };
  it("points a replica streaming in plaintext again, over TLS, once the cluster serves TLS", () => {
    const streaming = (ssl: boolean) => replica("db-1", "0-1-100", { replication: { sourceHost: "db-0.h", ioRunning: "Yes", sqlRunning: true, ioErrno: 0, ioError: "", sqlErrno: 0, sqlError: "", ssl } });
    expect(planReplica(streaming(false), primary, "db-0.h", true)).toEqual({ action: "replicate", reason: "db-1 replicates without TLS", formerPrimary: false });
    expect(planReplica(streaming(true), primary, "db-0.h", true)).toEqual({ action: "none" });
    expect(planReplica(streaming(false), primary, "db-0.h", false)).toEqual({ action: "none" });
  });
  it("leaves a streaming replica alone", () => {
    expect(planReplica(replica("db-1", "0-1-100", { replication: { sourceHost: "db-0.h", ioRunning: "Yes", sqlRunning: true, ioErrno: 0, ioError: "", sqlErrno: 0, sqlError: "" } }), primary, "db-0.h")).toEqual({ action: "none" });
  });
  it("points a replica of the old primary at the new one", () => {
    expect(planReplica(replica("db-1", "0-1-100", { replication: { sourceHost: "db-9.h", ioRunning: "Connecting", sqlRunning: true, ioErrno: 2003, ioError: "refused", sqlErrno: 0, sqlError: "" } }), primary, "db-0.h")).toMatchObject({
      action: "replicate",
      formerPrimary: false,
    });
  });
  it("rejoins an old primary that holds nothing the new one lacks, from its own position", () => {
    expect(planReplica({ ...replica("db-2", "0-1-90"), replication: undefined }, primary, "db-0.h")).toMatchObject({ action: "replicate", formerPrimary: true });
  });
  it("re-seeds an old primary with transactions the new one lacks (never merged)", () => {
    expect(planReplica({ ...replica("db-2", "0-2-101"), replication: undefined }, primary, "db-0.h")).toEqual({ action: "reseed", reason: "db-2 has transactions the primary db-0 does not (0-2-101)" });
  });
  it("re-seeds a replica whose source cannot serve its position (1236)", () => {
    expect(planReplica(replica("db-1", "0-1-50", { replication: { sourceHost: "db-0.h", ioRunning: "No", sqlRunning: true, ioErrno: 1236, ioError: "diverged", sqlErrno: 0, sqlError: "" } }), primary, "db-0.h").action).toBe("reseed");
  });
  it("does not re-seed a streaming replica that is a moment ahead of the primary's observed position", () => {
    expect(planReplica(replica("db-1", "0-1-105", { replication: { sourceHost: "db-0.h", ioRunning: "Yes", sqlRunning: true, ioErrno: 0, ioError: "", sqlErrno: 0, sqlError: "" } }), primary, "db-0.h")).toEqual({ action: "none" });
  });
  it("restarts a stopped replica", () => {
    expect(planReplica(replica("db-1", "0-1-50", { replication: { sourceHost: "db-0.h", ioRunning: "No", sqlRunning: false, ioErrno: 0, ioError: "", sqlErrno: 0, sqlError: "" } }), primary, "db-0.h").action).toBe("replicate");
  });
  it("waits for an unreachable instance", () => {
    expect(planReplica(down("db-1"), primary, "db-0.h").action).toBe("wait");
  });
});
