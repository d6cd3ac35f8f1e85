/**
 * Given a Ready pod on the local node, when the whole node stops (heartbeats and processes), then
 * kube-controller-manager marks the node and the pod NotReady after its grace period (20 s in the
 * launcher); when the node starts again, its pods run and turn Ready again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apply, clients, freshNamespace, isReady, readPod, runtime, waitFor, waitForPod } from "./local-fixtures.js";

let namespace = "";
let remove: () => Promise<void> = async () => {};

beforeAll(async () => {
  ({ namespace, remove } = await freshNamespace("node"));
});

afterAll(async () => {
  await runtime().setNode({ state: "start" });
  await remove();
});

async function nodeReady(): Promise<string | undefined> {
  const node = await clients().core.readNode({ name: (await runtime().status()).nodeName });
  return node.status?.conditions?.find((c) => c.type === "Ready")?.status;
}

describe("stopping the local node", () => {
  it("makes its pods NotReady, and starting it brings them back", async () => {
    await apply([
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "steady", namespace },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: "main", image: "busybox", command: ["sleep", "3600"], readinessProbe: { exec: { command: ["true"] }, periodSeconds: 1 } }] },
      },
    ]);
    const before = await waitForPod(namespace, "steady", isReady, "Ready");

    await runtime().setNode({ state: "stop" });
    const mine = (await runtime().pods()).find((p) => p.namespace === namespace && p.name === "steady")!;
    expect(mine.containers.every((c) => c.pid === undefined)).toBe(true);
    await waitFor("the node to turn NotReady", async () => (await nodeReady()) !== "True", 60_000, 1000);
    await waitForPod(namespace, "steady", (pod) => !isReady(pod), "NotReady", 30_000);

    await runtime().setNode({ state: "start" });
    await waitFor("the node to be Ready again", async () => (await nodeReady()) === "True", 30_000, 500);
    const after = await waitForPod(namespace, "steady", isReady, "Ready again", 60_000);
    expect(after.metadata!.uid).toBe(before.metadata!.uid);
    expect(after.status!.containerStatuses![0]!.restartCount).toBeGreaterThan(before.status!.containerStatuses![0]!.restartCount);
    expect((await readPod(namespace, "steady"))!.status!.phase).toBe("Running");
  });
});
