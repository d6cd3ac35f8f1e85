import { describe, expect, it } from "vitest";
import type { InstanceStatus } from "../../shared/api/index.js";
import type { RedisFacts } from "./info.js";
import { describeFailoverPlan, instanceStatus, instanceView, primaryLineage, replicatingCondition, type InstanceReading } from "./observe.js";

const P = "a".repeat(40);
const R = "c".repeat(40);
const host = (pod: string) => `${pod}.db-headless.ns.svc.cluster.local`;
const pod = { name: "db-1", exists: true, ready: true, terminating: false, initializing: false, restarts: 0 };

function facts(overrides: Partial<RedisFacts>): RedisFacts {
  return {
    version: "7.0.15", runId: "r", uptimeSeconds: 1, role: "slave", replid: P, replid2: "0".repeat(40), secondOffset: -1, offset: 1000,
    masterHost: host("db-0"), masterPort: 6379, linkUp: true, syncInProgress: false, lastIoSecondsAgo: 0, replicas: [], failoverState: "no-failover",
    loading: false, aofEnabled: true, lastBgsaveOk: true, lastAofWriteOk: true, ...overrides,
  };
}

const reading = (name: string, f?: Partial<RedisFacts>, error?: string): InstanceReading => ({ name, pod: { ...pod, name }, ...(f ? { facts: facts(f) } : {}), ...(error ? { error } : {}) });
const primaryReading = reading("db-0", { role: "master", masterHost: undefined, offset: 1200 });
const primary = instanceView(primaryReading, undefined);

describe("instanceStatus", () => {
  it("records a streaming replica's position as replid:offset, for the planner to read back", () => {
    const status = instanceStatus({ view: instanceView(reading("db-1", {}), undefined), reading: reading("db-1", {}), primary, primaryHost: host("db-0"), primaryHealthy: true, lineage: P });
    expect(status).toMatchObject({ name: "db-1", role: "replica", ready: true, readOnly: true, position: `${P}:1000`, replication: "Streaming", lagSeconds: 0 });
    const view = instanceView(reading("db-1", {}), status);
    expect(view.last).toEqual({ replid: P, offset: 1000, streaming: true });
  });

  it("keeps what was recorded for an instance that does not answer", () => {
    const previous: InstanceStatus = { name: "db-1", role: "replica", ready: true, position: `${P}:900`, replication: "Streaming" };
    const silent = reading("db-1", undefined, "connect ETIMEDOUT");
    const status = instanceStatus({ view: instanceView(silent, previous), reading: silent, previous, primary, primaryHost: host("db-0"), primaryHealthy: true, lineage: P });
    expect(status).toMatchObject({ ready: false, role: "replica", position: `${P}:900`, replication: "Streaming" });
    expect(status.message).toMatch(/does not answer: connect ETIMEDOUT; position as last seen/);
  });

  it("keeps the record of a replica that restarted while the primary is down, until the failover decides", () => {
    const previous: InstanceStatus = { name: "db-1", role: "replica", ready: true, position: `${P}:1300`, replication: "Streaming" };
    const restarted = reading("db-1", { replid: R, offset: 0, linkUp: false });
    const view = instanceView(restarted, previous);
    const pending = instanceStatus({ view, reading: restarted, previous, primary, primaryHost: host("db-0"), primaryHealthy: false, lineage: P });
    expect(pending).toMatchObject({ position: `${P}:1300`, replication: "Streaming" });
    expect(pending.message).toMatch(/restarted while the primary is down/);
    const settled = instanceStatus({ view, reading: restarted, previous, primary, primaryHost: host("db-0"), primaryHealthy: true, lineage: P });
    expect(settled).toMatchObject({ position: `${R}:0`, replication: "Connecting" });
  });
});

describe("primaryLineage", () => {
  it("is the primary's history, as it reports it, as recorded, or as its replicas report it", () => {
    expect(primaryLineage([primary], "db-0", host("db-0"))).toBe(P);
    const silent = instanceView(reading("db-0", undefined, "down"), { name: "db-0", role: "primary", ready: false, position: `${R}:5` });
    expect(primaryLineage([silent], "db-0", host("db-0"))).toBe(R);
    const unknown = instanceView(reading("db-0", undefined, "down"), undefined);
    expect(primaryLineage([unknown, instanceView(reading("db-1", {}), undefined), instanceView(reading("db-2", {}), undefined)], "db-0", host("db-0"))).toBe(P);
  });
});

describe("conditions and problems", () => {
  it("Replicating names each replica that does not stream", () => {
    const views = [primary, instanceView(reading("db-1", {}), undefined), instanceView(reading("db-2", { syncInProgress: true, replid: R }), undefined)];
    const condition = replicatingCondition(views, primary, host("db-0"), 3);
    expect(condition).toMatchObject({ status: "False", reason: "ReplicasNotStreaming" });
    expect(condition.message).toMatch(/^db-2: Copying;/);
    expect(replicatingCondition(views.slice(0, 2), primary, host("db-0"), 2).status).toBe("True");
    expect(replicatingCondition([primary], primary, host("db-0"), 1).reason).toBe("SingleInstance");
  });

  it("describes what a pending failover will do", () => {
    expect(describeFailoverPlan({ action: "promote", candidate: "db-1", reason: "most advanced" }, 5)).toBe("the operator promotes db-1 once this has lasted 5s (most advanced)");
    expect(describeFailoverPlan({ action: "wait", reason: "db-2 does not answer" }, 5)).toBe("no replica can be promoted yet: db-2 does not answer");
  });
});
