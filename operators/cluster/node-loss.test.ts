import { describe, expect, it } from "vitest";
import { decideNodeLoss, lostNode, type StuckPod } from "./node-loss.js";

const unreachable = {
  metadata: { name: "n2" },
  spec: { taints: [{ key: "node.kubernetes.io/unreachable", effect: "NoSchedule" }] },
  status: { conditions: [{ type: "Ready", status: "Unknown", message: "Kubelet stopped posting node status." }] },
};

describe("node loss", () => {
  it("finds a node lost from what the node controller wrote, or from the out-of-service taint", () => {
    expect(lostNode("n1", { metadata: { name: "n1" }, status: { conditions: [{ type: "Ready", status: "True" }] } })).toBeUndefined();
    expect(lostNode("n2", unreachable)).toEqual({ name: "n2", why: "Ready is Unknown: Kubelet stopped posting node status.", outOfService: false });
    const declared = { ...unreachable, spec: { taints: [...unreachable.spec.taints, { key: "node.kubernetes.io/out-of-service", effect: "NoExecute" }] } };
    expect(lostNode("n2", declared)?.outOfService).toBe(true);
    expect(lostNode("n3", undefined)).toMatchObject({ outOfService: true, why: "the Node object is gone" });
  });

  const stuck = (overrides: Partial<StuckPod>): StuckPod => ({ pod: "db-0", uid: "u0", node: lostNode("n2", unreachable)!, primary: false, networkStorage: true, ...overrides });

  it("leaves the pod by default and says so in words", () => {
    const decision = decideNodeLoss([stuck({})], "wait");
    expect(decision.delete).toEqual([]);
    expect(decision.problems[0]).toBe(
      "db-0 is on node n2, which is lost (Ready is Unknown: Kubelet stopped posting node status.); Steward leaves the pod until the node returns (set spec.failover.nodeLoss: recreate (network storage) or taint the node node.kubernetes.io/out-of-service to recreate it elsewhere)",
    );
  });

  it("recreates with nodeLoss recreate only on network storage, and never the primary", () => {
    expect(decideNodeLoss([stuck({})], "recreate").delete.map((d) => d.pod)).toEqual(["db-0"]);
    expect(decideNodeLoss([stuck({ networkStorage: false })], "recreate").delete).toEqual([]);
    expect(decideNodeLoss([stuck({ networkStorage: false })], "recreate").problems[0]).toMatch(/node-local, so it can only run there/);
    const primary = decideNodeLoss([stuck({ primary: true })], "recreate");
    expect(primary.delete).toEqual([]);
    expect(primary.problems[0]).toMatch(/still the primary: failing over/);
  });

  it("recreates from an out-of-service node whatever the policy", () => {
    const node = { ...lostNode("n2", unreachable)!, outOfService: true };
    const decision = decideNodeLoss([stuck({ node, networkStorage: false })], "wait");
    expect(decision.delete).toEqual([{ pod: "db-0", uid: "u0", message: "Force-deleted db-0 on lost node n2 (node n2 is out of service): the StatefulSet recreates it on a live node" }]);
  });
});
