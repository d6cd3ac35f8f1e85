import { describe, expect, it } from "vitest";
import type { NodeInfo } from "./client.js";
import { assessCluster, healthProblems, type PodView } from "./health.js";

const node = (i: number) => `rabbit@rq-${i}.rq-headless.ns.svc.cluster.local`;
const now = new Date("2026-11-25T12:00:00Z");
const longAgo = new Date("2026-11-25T11:00:00Z");
const justNow = new Date("2026-11-25T11:59:50Z");

function pod(i: number, overrides: Partial<PodView> = {}): PodView {
  return { name: `rq-${i}`, ordinal: i, node: node(i), exists: true, ready: true, terminating: false, revision: "r1", engineRunningSince: longAgo, engineRestarts: 0, ...overrides };
}
const info = (i: number, running = true, extra: Partial<NodeInfo> = {}): NodeInfo => ({ name: node(i), running, partitions: running ? [] : undefined, mem_alarm: false, disk_free_alarm: false, ...extra });
const desired = [node(0), node(1), node(2)];

describe("assessCluster", () => {
  it("is whole when every desired node runs in one cluster", () => {
    const view = [info(0), info(1), info(2)];
    const assessment = assessCluster([pod(0), pod(1), pod(2)], [0, 1, 2].map((i) => ({ node: node(i), nodes: view })), desired, now);
    expect(assessment).toMatchObject({ whole: true, running: desired, down: [], partitioned: [], alarms: [] });
    expect(healthProblems(assessment)).toEqual([]);
  });

  it("says why a node does not run: pod missing, stopping, container down, not joined", () => {
    const view = [info(0), info(1)];
    const reports = [0, 1].map((i) => ({ node: node(i), nodes: view }));
    const cases: [PodView, string][] = [
      [pod(2, { exists: false }), "its pod does not exist"],
      [pod(2, { terminating: true }), "its pod is stopping"],
      [pod(2, { engineRunningSince: undefined }), "its RabbitMQ container is not running"],
      [pod(2), "it has not joined the cluster yet"],
    ];
    for (const [third, reason] of cases) {
      const assessment = assessCluster([pod(0), pod(1), third], reports, desired, now);
      expect(assessment.whole).toBe(false);
      expect(assessment.down).toEqual([{ node: node(2), reason }]);
      expect(assessment.partitioned).toEqual([]);
    }
  });

  it("calls a member whose container has run long but that the cluster sees down a partition (pause_minority)", () => {
    const view = [info(0), info(1), info(2, false)];
    const reports = [{ node: node(0), nodes: view }, { node: node(1), nodes: view }, { node: node(2), error: "no answer within 5000 ms" }];
    const assessment = assessCluster([pod(0), pod(1), pod(2)], reports, desired, now);
    expect(assessment.partitioned).toHaveLength(1);
    expect(assessment.partitioned[0]!.reason).toContain("rq-2 is cut off from rq-0, rq-1");
    expect(healthProblems(assessment)).toEqual([expect.stringContaining("network partition: rq-2 is cut off")]);
    // The same while the container only just started: it is booting, not partitioned.
    expect(assessCluster([pod(0), pod(1), pod(2, { engineRunningSince: justNow })], reports, desired, now).partitioned).toEqual([]);
  });

  it("reports partitions RabbitMQ itself lists", () => {
    const view = [info(0, true, { partitions: [node(2)] }), info(1), info(2)];
    const assessment = assessCluster([pod(0), pod(1), pod(2)], [{ node: node(0), nodes: view }], desired, now);
    expect(assessment.partitioned).toEqual([{ node: node(0), reason: "rq-0 reports a network partition with rq-2" }]);
    expect(assessment.whole).toBe(false);
  });

  it("takes the view most answering nodes agree on", () => {
    const majority = [info(0), info(1), info(2, false)];
    const minority = [info(0, false), info(1, false), info(2)];
    const assessment = assessCluster([pod(0), pod(1), pod(2)], [{ node: node(0), nodes: majority }, { node: node(1), nodes: majority }, { node: node(2), nodes: minority }], desired, now);
    expect(assessment.running).toEqual([node(0), node(1)]);
  });

  it("reports memory and disk alarms, and clusters that formed separately", () => {
    const alarmed = assessCluster([pod(0), pod(1), pod(2)], [{ node: node(0), nodes: [info(0, true, { mem_alarm: true }), info(1, true, { disk_free_alarm: true }), info(2)] }], desired, now);
    expect(alarmed.alarms).toEqual([{ node: node(0), alarm: "memory" }, { node: node(1), alarm: "disk" }]);
    expect(healthProblems(alarmed).join(" ")).toContain("publishers are blocked");
    const split = assessCluster(
      [pod(0), pod(1), pod(2)],
      [{ node: node(0), nodes: [info(0), info(1)] }, { node: node(2), nodes: [info(2)] }],
      desired,
      now,
    );
    expect(split.splitClusters).toEqual([[node(0), node(1)], [node(2)]]);
    expect(split.whole).toBe(false);
    expect(healthProblems(split)[0]).toContain("2 separate clusters");
  });

  it("has no view when no node answered", () => {
    const assessment = assessCluster([pod(0)], [{ node: node(0), error: "ECONNREFUSED" }], [node(0)], now);
    expect(assessment.running).toEqual([]);
    expect(assessment.down[0]!.reason).toContain("ECONNREFUSED");
  });
});

describe("a node that does not answer at its address", () => {
  it("is cut off at once, even while the others still list it as running", () => {
    const view = [info(0), info(1), info(2)];
    const reports = [
      { node: node(0), error: "its view of the cluster did not arrive (no answer within 5000 ms): it waits for a peer it cannot reach" },
      { node: node(1), nodes: view },
      { node: node(2), error: "GET /health/checks/local-alarms: no answer within 3000 ms", timedOut: true },
    ];
    const assessment = assessCluster([pod(0), pod(1), pod(2)], reports, desired, now);
    expect(assessment.running).toEqual([node(0), node(1)]);
    expect(assessment.partitioned).toEqual([{ node: node(2), reason: expect.stringContaining("rq-2 does not answer at its address") }]);
    expect(assessment.whole).toBe(false);
  });

  it("is cut off even while its container just started (a booting node refuses, it does not stay silent), but not while its container does not run", () => {
    const reports = [{ node: node(0), nodes: [info(0), info(1), info(2, false)] }, { node: node(2), error: "no answer within 3000 ms", timedOut: true }];
    expect(assessCluster([pod(0), pod(1), pod(2, { engineRunningSince: justNow })], reports, desired, now).partitioned).toHaveLength(1);
    expect(assessCluster([pod(0), pod(1), pod(2, { engineRunningSince: undefined })], reports, desired, now).partitioned).toEqual([]);
  });
});

describe("a stuck node", () => {
  it("is one that refuses connections while a majority runs and its container has run a while (paused, or hung starting)", () => {
    const view = [info(0), info(1), info(2, false)];
    const reports = [{ node: node(0), nodes: view }, { node: node(1), nodes: view }, { node: node(2), error: "ECONNREFUSED", refused: true }];
    expect(assessCluster([pod(0), pod(1), pod(2)], reports, desired, now).stuck).toEqual([node(2)]);
    expect(assessCluster([pod(0), pod(1), pod(2, { engineRunningSince: justNow })], reports, desired, now).stuck).toEqual([]);
    const minority = [{ node: node(0), nodes: [info(0), info(1, false), info(2, false)] }, { node: node(2), error: "ECONNREFUSED", refused: true }];
    expect(assessCluster([pod(0), pod(1), pod(2)], minority, desired, now).stuck).toEqual([]);
  });
});

describe("running", () => {
  it("needs the node's own listener: the others list a node whose boot hangs after its tables synced as running", () => {
    const view = [info(0), info(1), info(2)];
    const reports = [{ node: node(0), nodes: view }, { node: node(1), nodes: view }, { node: node(2), error: "ECONNREFUSED", refused: true }];
    const assessment = assessCluster([pod(0), pod(1), pod(2)], reports, desired, now);
    expect(assessment.running).toEqual([node(0), node(1)]);
    expect(assessment.stuck).toEqual([node(2)]);
    expect(assessment.whole).toBe(false);
    expect(assessCluster([pod(0), pod(1), pod(2, { engineRunningSince: undefined })], reports.slice(0, 2), desired, now).running).toEqual([node(0), node(1)]);
  });
});

describe("blocked views", () => {
  it("counts nodes that serve while every view waits for an unreachable peer, and holds changes back", () => {
    const blocked = (i: number) => ({ node: node(i), error: "its view of the cluster did not arrive (no answer within 5000 ms)", viewBlocked: true });
    const assessment = assessCluster([pod(0), pod(1), pod(2)], [blocked(0), blocked(1), blocked(2)], desired, now);
    expect(assessment.running).toEqual(desired);
    expect(assessment.whole).toBe(false);
    expect(healthProblems(assessment)).toEqual([expect.stringContaining("rq-0, rq-1, rq-2 serve but cannot list the cluster")]);
  });
});
