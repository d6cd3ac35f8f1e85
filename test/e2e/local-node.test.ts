/**
 * The local cluster's nodes as machines that fail one at a time (three in the test cluster).
 * Given a Ready pod on one node and one on another, when the first node stops (heartbeats and
 * processes: a crash), kube-controller-manager — not the runtime — marks that node NotReady
 * with the unreachable taint after its grace period (20 s in the launcher) and the pod
 * NotReady, while the other node and its pod stay Ready; when the node starts, its pod runs
 * again. When a node is isolated (links and heartbeats cut, processes alive), the same follows
 * from the controller, the pod's process survives, and after restore the same process is Ready.
 * Storage: a node-local claim gets a PV pinned to the node its pod was scheduled to; a network
 * volume attaches to one node at a time.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CoordinationV1Api, type V1Node } from "@kubernetes/client-node";
import { apply, clients, freshNamespace, isReady, readPod, runtime, waitFor, waitForPod } from "./local-fixtures.js";

let namespace = "";
let remove: () => Promise<void> = async () => {};
const nodeNames = inject("nodeNames");

beforeAll(async () => {
  ({ namespace, remove } = await freshNamespace("node"));
});

afterAll(async () => {
  for (const node of nodeNames) {
    await runtime().setNode({ node, state: "start" }).catch(() => undefined);
    await runtime().setNode({ node, state: "restore" }).catch(() => undefined);
  }
  await remove();
});

async function readNode(name: string): Promise<V1Node> {
  return clients().core.readNode({ name });
}

function ready(node: V1Node): string | undefined {
  return node.status?.conditions?.find((c) => c.type === "Ready")?.status;
}

function unreachableTaint(node: V1Node): boolean {
  return (node.spec?.taints ?? []).some((t) => t.key === "node.kubernetes.io/unreachable");
}

function sleeper(name: string, node: string): object {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace },
    spec: {
      nodeName: node,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: "main", image: "busybox", command: ["sleep", "3600"], readinessProbe: { exec: { command: ["true"] }, periodSeconds: 1 } }],
    },
  };
}

async function pidOf(name: string): Promise<number | undefined> {
  return (await runtime().pods()).find((p) => p.namespace === namespace && p.name === name && p.phase !== "Succeeded")?.containers[0]?.pid;
}

describe("the local cluster's nodes", () => {
  it("are several, each heartbeating with its own address block", async () => {
    expect(nodeNames.length).toBeGreaterThanOrEqual(3);
    const status = await runtime().status();
    expect(status.nodes.map((n) => n.name)).toEqual(nodeNames);
    expect(new Set(status.nodes.map((n) => n.podCidr)).size).toBe(nodeNames.length);
    for (const name of nodeNames) {
      const node = await readNode(name);
      expect(ready(node)).toBe("True");
      expect(node.spec?.podCIDR).toBe(status.nodes.find((n) => n.name === name)!.podCidr);
      const lease = await clients().config.makeApiClient(CoordinationV1Api).readNamespacedLease({ name, namespace: "kube-node-lease" });
      expect(lease.spec?.holderIdentity).toBe(name);
    }
  });

  it("fail one at a time: a stopped node's pod goes NotReady through the node controller, the others stay, start brings it back", async () => {
    const [lost, kept] = nodeNames as [string, string];
    await apply([sleeper("on-lost", lost), sleeper("on-kept", kept)]);
    const before = await waitForPod(namespace, "on-lost", isReady, "Ready");
    await waitForPod(namespace, "on-kept", isReady, "Ready");
    expect(before.status?.podIP?.startsWith((await runtime().status()).nodes[0]!.podCidr.split(".").slice(0, 3).join("."))).toBe(true);

    await runtime().setNode({ node: lost, state: "stop" });
    expect(await pidOf("on-lost")).toBeUndefined();
    expect(await pidOf("on-kept")).toBeGreaterThan(0);
    await waitFor("the node controller to mark the node unreachable", async () => unreachableTaint(await readNode(lost)), 60_000, 1000);
    expect(ready(await readNode(lost))).toBe("Unknown");
    await waitForPod(namespace, "on-lost", (pod) => !isReady(pod), "NotReady", 30_000);
    expect(ready(await readNode(kept))).toBe("True");
    expect(isReady(await readPod(namespace, "on-kept"))).toBe(true);

    await runtime().setNode({ node: lost, state: "start" });
    await waitFor("the node to be Ready again", async () => ready(await readNode(lost)) === "True", 30_000, 500);
    const after = await waitForPod(namespace, "on-lost", isReady, "Ready again", 60_000);
    expect(after.metadata!.uid).toBe(before.metadata!.uid);
    expect(after.status!.containerStatuses![0]!.restartCount).toBeGreaterThan(before.status!.containerStatuses![0]!.restartCount);
  });

  it("isolated, keep their processes: the controller marks the node, restore makes the same process Ready", async () => {
    const isolated = nodeNames[1]!;
    await waitForPod(namespace, "on-kept", isReady, "Ready");
    const pid = await pidOf("on-kept");
    await runtime().setNode({ node: isolated, state: "isolate" });
    expect((await runtime().status()).nodes.find((n) => n.name === isolated)?.state).toBe("isolated");
    await waitFor("the node controller to mark the isolated node unreachable", async () => unreachableTaint(await readNode(isolated)), 60_000, 1000);
    await waitForPod(namespace, "on-kept", (pod) => !isReady(pod), "NotReady", 30_000);
    expect(await pidOf("on-kept")).toBe(pid);

    await runtime().setNode({ node: isolated, state: "restore" });
    await waitForPod(namespace, "on-kept", isReady, "Ready after restore", 60_000);
    expect(await pidOf("on-kept")).toBe(pid);
  });

  it("offer node-local volumes pinned to their pod's node, and network volumes attached to one node at a time", async () => {
    const claim = (name: string, storageClassName: string) => ({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name, namespace },
      spec: { storageClassName, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Mi" } } },
    });
    const mounting = (name: string, claimName: string, node?: string) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, namespace },
      spec: {
        ...(node ? { nodeName: node } : {}),
        terminationGracePeriodSeconds: 1,
        containers: [{ name: "main", image: "busybox", command: ["sleep", "3600"], volumeMounts: [{ name: "data", mountPath: "/data" }] }],
        volumes: [{ name: "data", persistentVolumeClaim: { claimName } }],
      },
    });
    await apply([claim("local-data", "steward-node-local"), mounting("local-user", "local-data"), claim("net-data", "steward-local"), mounting("net-first", "net-data", nodeNames[0])]);
    const placed = await waitForPod(namespace, "local-user", (pod) => pod.status?.phase === "Running", "Running");
    const bound = await clients().core.readNamespacedPersistentVolumeClaim({ name: "local-data", namespace });
    const volume = await clients().core.readPersistentVolume({ name: bound.spec!.volumeName! });
    expect(volume.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.[0]?.values).toEqual([placed.spec!.nodeName]);

    await waitForPod(namespace, "net-first", (pod) => pod.status?.phase === "Running", "Running");
    await apply([mounting("net-second", "net-data", nodeNames[2])]);
    const waiting = await waitForPod(namespace, "net-second", (pod) => /Multi-Attach/.test(pod.status?.containerStatuses?.[0]?.state?.waiting?.message ?? ""), "waiting on the attachment");
    expect(waiting.status?.phase).toBe("Pending");
    await clients().core.deleteNamespacedPod({ name: "net-first", namespace, gracePeriodSeconds: 0 });
    await waitForPod(namespace, "net-second", (pod) => pod.status?.phase === "Running", "Running once the first pod is gone");
  });
});
