import { describe, expect, it } from "vitest";
import type { Assessment, PodView } from "./health.js";
import { conditionsOf, instanceStatus, podView, trackStuck } from "./observe.js";
import { rabbitmqNames } from "./names.js";
import type { Plan } from "./planner.js";

const names = rabbitmqNames({ metadata: { name: "rq", namespace: "ns" } });
const node = (i: number) => names.node(names.pod(i));
const assessment = (overrides: Partial<Assessment> = {}): Assessment => ({ members: [0, 1, 2].map(node), running: [0, 1, 2].map(node), answering: [0, 1, 2].map(node), down: [], partitioned: [], alarms: [], stuck: [], viewsBlocked: [], whole: true, ...overrides });
const none: Plan = { action: { kind: "none" }, rolling: { kind: "none" }, scaling: { kind: "none" } };

describe("podView", () => {
  it("reads readiness, revision and when the RabbitMQ container started", () => {
    const view = podView(names, 1, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "rq-1", labels: { "controller-revision-hash": "rq-abc" } },
      status: { conditions: [{ type: "Ready", status: "True" }], containerStatuses: [{ name: "rabbitmq", restartCount: 2, state: { running: { startedAt: "2026-11-25T12:00:00Z" } } }] },
    });
    expect(view).toEqual({ name: "rq-1", ordinal: 1, node: node(1), exists: true, ready: true, terminating: false, revision: "rq-abc", engineRunningSince: new Date("2026-11-25T12:00:00Z"), engineRestarts: 2 });
    expect(podView(names, 3, undefined)).toMatchObject({ name: "rq-3", exists: false, ready: false });
  });
});

describe("instanceStatus", () => {
  const pod: PodView = { name: "rq-2", ordinal: 2, node: node(2), exists: true, ready: true, terminating: false, engineRestarts: 0 };
  it("says a node is a running member and how many quorum queue leaders it has", () => {
    expect(instanceStatus(pod, assessment(), [{ name: "q", vhost: "/", leader: node(2) }])).toEqual({ name: "rq-2", role: "member", ready: true, replication: "Running", position: "1 quorum queue leader(s)" });
  });
  it("names a partition", () => {
    const status = instanceStatus(pod, assessment({ running: [node(0), node(1)], partitioned: [{ node: node(2), reason: "rq-2 is cut off" }] }), undefined);
    expect(status).toMatchObject({ ready: false, replication: "Partitioned", message: "rq-2 is cut off" });
  });
});

describe("conditionsOf", () => {
  it("reports no partition, no alarm, up to date, at size for a healthy cluster", () => {
    expect(conditionsOf(assessment(), none, [], "r1").map((c) => [c.type, c.status])).toEqual([
      ["NetworkPartition", "False"],
      ["ResourceAlarms", "False"],
      ["RollingUpdate", "False"],
      ["Scaling", "False"],
    ]);
  });
  it("says what a rolling change waits for and that a scale-in needs confirming", () => {
    const plan: Plan = {
      action: { kind: "wait", reason: "x" },
      rolling: { kind: "wait", reason: "restarting rq-2 now would make quorum queues unavailable" },
      scaling: { kind: "wait", reason: "set spec.allowScaleDown: true to confirm" },
    };
    const pods: PodView[] = [0, 1, 2].map((i) => ({ name: `rq-${i}`, ordinal: i, node: node(i), exists: true, ready: true, terminating: false, revision: "old", engineRestarts: 0 }));
    const conditions = conditionsOf(assessment(), plan, pods, "new");
    expect(conditions.find((c) => c.type === "RollingUpdate")).toMatchObject({ status: "True", reason: "Waiting", message: expect.stringContaining("3 node(s) to restart") });
    expect(conditions.find((c) => c.type === "Scaling")).toMatchObject({ status: "True", reason: "ScaleDownNotAllowed" });
  });
});

describe("trackStuck", () => {
  it("counts from the first time a node was seen stuck and forgets nodes that are not", () => {
    const since = new Map<string, number>();
    expect(trackStuck(since, "ns/rq", [node(2)], 1_000)).toEqual({ [node(2)]: 0 });
    expect(trackStuck(since, "ns/rq", [node(2)], 61_000)).toEqual({ [node(2)]: 60_000 });
    expect(trackStuck(since, "ns/rq", [], 62_000)).toEqual({});
    expect(trackStuck(since, "ns/rq", [node(2)], 63_000)).toEqual({ [node(2)]: 0 });
  });
});
