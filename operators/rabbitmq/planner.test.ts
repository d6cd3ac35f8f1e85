import { describe, expect, it } from "vitest";
import type { QueueInfo } from "./client.js";
import type { Assessment, PodView } from "./health.js";
import { gateRestart, planGrowth, planNext, planRolling, planScaleIn, planScaleInCleanup, planScaleOut, type PlanInput } from "./planner.js";

const node = (i: number) => `rabbit@rq-${i}.rq-headless.ns.svc.cluster.local`;
const pod = (i: number, overrides: Partial<PodView> = {}): PodView => ({ name: `rq-${i}`, ordinal: i, node: node(i), exists: true, ready: true, terminating: false, revision: "new", engineRunningSince: new Date(0), engineRestarts: 0, ...overrides });
const whole = (n: number): Assessment => {
  const nodes = Array.from({ length: n }, (_, i) => node(i));
  return { members: nodes, running: nodes, answering: nodes, down: [], partitioned: [], alarms: [], stuck: [], viewsBlocked: [], whole: true };
};
const qq = (name: string, members: number[], extra: Partial<QueueInfo> = {}): QueueInfo => ({ name, vhost: "/", type: "quorum", durable: true, members: members.map(node), online: members.map(node), leader: node(members[0]!), ...extra });
const pods = (n: number, revisions: string[] = []) => Array.from({ length: n }, (_, i) => pod(i, { revision: revisions[i] ?? "new" }));

function input(overrides: Partial<PlanInput> = {}): PlanInput {
  return {
    specReplicas: 3,
    currentReplicas: 3,
    allowScaleDown: false,
    pods: pods(3),
    assessment: whole(3),
    queues: [qq("orders", [0, 1, 2])],
    claims: [0, 1, 2].map((i) => ({ name: `data-rq-${i}`, ordinal: i })),
    nodeOf: node,
    updateRevision: "new",
    wasChanging: false,
    ...overrides,
  };
}

describe("planRolling", () => {
  it.each([
    ["nothing outdated", pods(3), whole(3), { kind: "none" }],
    ["highest outdated ordinal first", pods(3, ["old", "old", "old"]), whole(3), { kind: "restart", pod: "rq-2" }],
    ["then the next one down", pods(3, ["old", "old", "new"]), whole(3), { kind: "restart", pod: "rq-1" }],
    ["waits while a pod is away", [pod(0, { revision: "old" }), pod(1, { revision: "old" }), pod(2, { terminating: true })], whole(3), { kind: "wait" }],
    ["waits while a pod does not exist", [pod(0, { revision: "old" }), pod(1), pod(2, { exists: false, revision: undefined })], whole(3), { kind: "wait" }],
  ] as const)("%s", (_, podList, assessment, expected) => {
    expect(planRolling([...podList], "new", assessment)).toMatchObject(expected);
  });

  it("waits until a restarted node runs in the cluster again", () => {
    const assessment = { ...whole(3), running: [node(0), node(1)], whole: false };
    expect(planRolling(pods(3, ["old", "old", "new"]), "new", assessment)).toEqual({ kind: "wait", reason: "waiting for rq-2 to run in the cluster before restarting the next node" });
  });

  it("restarts an outdated node that is down anyway first (the new template may be its fix)", () => {
    const assessment = { ...whole(3), running: [node(1), node(2)], whole: false };
    expect(planRolling([pod(0, { revision: "old", ready: false }), pod(1, { revision: "old" }), pod(2, { revision: "old" })], "new", assessment)).toMatchObject({ kind: "restart", pod: "rq-0" });
  });

  it("waits for a partition to heal", () => {
    const assessment = { ...whole(3), partitioned: [{ node: node(1), reason: "cut" }], whole: false };
    expect(planRolling(pods(3, ["old", "old", "old"]), "new", assessment)).toMatchObject({ kind: "wait", reason: expect.stringContaining("partition") });
  });
});

describe("gateRestart", () => {
  const plan = { kind: "restart", pod: "rq-2", node: node(2), reason: "old template" } as const;
  it("lets a node that is not quorum-critical go", () => {
    expect(gateRestart(plan, { critical: false })).toBe(plan);
  });
  it("waits, naming the queues, when the node is quorum-critical", () => {
    const gated = gateRestart(plan, { critical: true, reason: "There are quorum queues that would lose their quorum", queues: ["orders (vhost /)"] });
    expect(gated).toEqual({ kind: "wait", reason: expect.stringContaining("would make quorum queues unavailable") });
    expect((gated as { reason: string }).reason).toContain("orders (vhost /)");
  });
  it("does not restart when the check could not be made", () => {
    expect(gateRestart(plan, { error: "ECONNREFUSED" })).toMatchObject({ kind: "wait" });
  });
});

describe("scaling", () => {
  it("scales out by raising the StatefulSet's replicas", () => {
    expect(planScaleOut(input({ specReplicas: 5 }))).toEqual({ kind: "scaleOut", replicas: 5, reason: "scaling out from 3 to 5 nodes" });
  });

  it("grows quorum queues onto running nodes that are not members, lowest ordinal first, leaving queues with a set group size", () => {
    const queues = [qq("orders", [0, 1, 2]), qq("small", [0, 1], { arguments: { "x-quorum-initial-group-size": 2 } })];
    const grow = planGrowth(input({ specReplicas: 5, currentReplicas: 5, pods: pods(5), assessment: whole(5), queues }));
    expect(grow).toEqual({ kind: "grow", node: node(3), queues: ["orders"], reason: "1 quorum queue(s) have no replica on rq-3 yet" });
    expect(planGrowth(input({ queues }))).toEqual({ kind: "none" });
    expect(planGrowth(input({ specReplicas: 5, currentReplicas: 5, pods: pods(5), assessment: { ...whole(5), whole: false }, queues }))).toEqual({ kind: "none" });
  });

  it("refuses a scale-in without spec.allowScaleDown, saying how to confirm", () => {
    const plan = planScaleIn(input({ specReplicas: 3, currentReplicas: 5, pods: pods(5), assessment: whole(5) }));
    expect(plan).toMatchObject({ kind: "wait", reason: expect.stringContaining("set spec.allowScaleDown: true to confirm") });
  });

  it("shrinks quorum queues off the highest node, then removes its pod", () => {
    const base = { specReplicas: 3, currentReplicas: 5, allowScaleDown: true, pods: pods(5), assessment: whole(5) };
    expect(planScaleIn(input({ ...base, queues: [qq("orders", [0, 1, 2, 3, 4])] }))).toMatchObject({ kind: "shrink", node: node(4), queues: ["orders"] });
    expect(planScaleIn(input({ ...base, queues: [qq("orders", [0, 1, 2, 3])] }))).toMatchObject({ kind: "removePod", pod: "rq-4", replicas: 4 });
  });

  it("waits instead of losing data: durable classic queues on the node, or a queue whose only replica it is", () => {
    const base = { specReplicas: 3, currentReplicas: 5, allowScaleDown: true, pods: pods(5), assessment: whole(5) };
    const classic: QueueInfo = { name: "legacy", vhost: "shop", type: "classic", durable: true, exclusive: false, node: node(4) };
    expect(planScaleIn(input({ ...base, queues: [classic] }))).toMatchObject({ kind: "wait", reason: expect.stringContaining("legacy (vhost shop)") });
    expect(planScaleIn(input({ ...base, queues: [qq("lonely", [4])] }))).toMatchObject({ kind: "wait", reason: expect.stringContaining("only replica") });
    expect(planScaleIn(input({ ...base, assessment: { ...whole(5), whole: false } }))).toMatchObject({ kind: "wait" });
  });

  it("finishes a scale-in: waits for the node to stop, forgets it, then deletes its volume", () => {
    const members = [0, 1, 2, 3].map(node);
    const running = [0, 1, 2].map(node);
    const assessment: Assessment = { members, running, answering: running, down: [{ node: node(3), reason: "gone" }], partitioned: [], alarms: [], stuck: [], viewsBlocked: [], whole: true };
    const claims = [0, 1, 2, 3].map((i) => ({ name: `data-rq-${i}`, ordinal: i }));
    expect(planScaleInCleanup(input({ pods: [...pods(3), pod(3, { terminating: true })], assessment, claims }))).toMatchObject({ kind: "wait" });
    expect(planScaleInCleanup(input({ pods: pods(3), assessment, claims }))).toEqual({ kind: "forget", node: node(3), reason: "rq-3 was removed by a scale-in; the cluster forgets it" });
    expect(planScaleInCleanup(input({ pods: pods(3), assessment: whole(3), claims }))).toMatchObject({ kind: "deleteClaim", claim: "data-rq-3" });
    expect(planScaleInCleanup(input({ pods: pods(3), assessment: whole(3) }))).toEqual({ kind: "none" });
  });
});

describe("planNext", () => {
  it("does nothing to a whole, up-to-date cluster", () => {
    expect(planNext(input()).action).toEqual({ kind: "none" });
  });

  it("finishes a scale-in before scaling out again (a forgotten node must not return with its data)", () => {
    const claims = [0, 1, 2, 3].map((i) => ({ name: `data-rq-${i}`, ordinal: i }));
    expect(planNext(input({ specReplicas: 5, claims })).action).toMatchObject({ kind: "deleteClaim", claim: "data-rq-3" });
  });

  it("scales out, then grows, then rolls, then scales in", () => {
    expect(planNext(input({ specReplicas: 5, pods: pods(3, ["old"]) })).action.kind).toBe("scaleOut");
    expect(planNext(input({ specReplicas: 5, currentReplicas: 5, pods: pods(5, ["old"]), assessment: whole(5) })).action).toMatchObject({ kind: "grow", node: node(3) });
    expect(planNext(input({ pods: pods(3, ["old"]), quorumCheck: { critical: false } })).action).toMatchObject({ kind: "restart", pod: "rq-0" });
    expect(planNext(input({ specReplicas: 2, allowScaleDown: true })).action).toMatchObject({ kind: "shrink", node: node(2) });
  });

  it("rebalances leaders once a change completed, and reports the rolling and scaling state", () => {
    expect(planNext(input({ wasChanging: true })).action.kind).toBe("rebalance");
    const waiting = planNext(input({ pods: pods(3, ["old", "old", "old"]), quorumCheck: { critical: true, reason: "quorum", queues: ["orders (vhost /)"] } }));
    expect(waiting.action.kind).toBe("wait");
    expect(waiting.rolling.kind).toBe("wait");
    expect(planNext(input({ specReplicas: 2 })).scaling).toMatchObject({ kind: "wait", reason: expect.stringContaining("allowScaleDown") });
  });
});

describe("planStuckRestart", () => {
  it("restarts a node that stayed stuck for 30 s, before anything else", () => {
    const assessment = { ...whole(3), running: [node(0), node(1)], stuck: [node(2)], whole: false };
    expect(planNext(input({ assessment, stuckForMs: { [node(2)]: 20_000 } })).action.kind).not.toBe("restart");
    expect(planNext(input({ assessment, stuckForMs: { [node(2)]: 31_000 } })).action).toMatchObject({ kind: "restart", pod: "rq-2", reason: expect.stringContaining("has not served for 31 s") });
  });
});
