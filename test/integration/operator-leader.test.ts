/**
 * Given two operator processes on the real API server, when the leader is killed, then the
 * other takes the Lease within the lease time and reconciles; only the Lease holder ever
 * reconciles (every status change is reported by the holder of the moment).
 */
import { afterAll, describe, expect, inject, it } from "vitest";
import { RESOURCES, type KubeObject } from "../../shared/k8s/client.js";
import { startOperatorProcess, type OperatorProcess } from "../fixtures/operator.js";
import { useTestNamespace, waitFor } from "./runtime-fixtures.js";

const test = useTestNamespace("operator-ha", { crds: true });
const operators: OperatorProcess[] = [];
afterAll(async () => {
  for (const operator of operators) await operator.kill();
});

interface Lease extends KubeObject {
  spec?: { holderIdentity?: string; leaseTransitions?: number };
}
interface EventObject extends KubeObject {
  reason?: string;
  regarding?: { name?: string; kind?: string };
  reportingInstance?: string;
}

function start(identity: string): OperatorProcess {
  const operator = startOperatorProcess({ kubeconfig: inject("kubeconfig"), namespace: test.namespace, identity });
  operators.push(operator);
  return operator;
}

async function holder(): Promise<string | undefined> {
  const lease = await test.client.get<Lease>(RESOURCES.Lease, test.namespace, "steward-operator");
  return lease?.spec?.holderIdentity ?? undefined;
}

async function createCluster(name: string): Promise<void> {
  // A version this build does not run: the operator's reconcile marks it Failed with a
  // message and an Event, which is all this test needs to see who reconciled.
  await test.client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", metadata: { name, namespace: test.namespace }, spec: { engine: "mysql", version: "5.7", replicas: 1 } });
}

async function reconciledBy(cluster: string): Promise<string[]> {
  const events = await test.client.list<EventObject>(RESOURCES.Event, test.namespace);
  return events.items.filter((event) => event.regarding?.name === cluster && event.regarding.kind === "DatabaseCluster").map((event) => event.reportingInstance ?? "?");
}

async function waitForStatus(cluster: string): Promise<{ phase?: string; conditions?: { type: string; message: string }[] }> {
  let status: { phase?: string; conditions?: { type: string; message: string }[] } | undefined;
  await waitFor(`status of ${cluster}`, async () => {
    const object = await test.client.get<KubeObject & { status?: typeof status }>(RESOURCES.DatabaseCluster, test.namespace, cluster);
    status = object?.status;
    return status?.phase !== undefined;
  }, 30_000);
  return status!;
}

describe("two operators, one Lease", () => {
  it("lets only the leader reconcile, and hands over within the lease time when the leader is killed", async () => {
    const a = start("op-a");
    await waitFor("op-a to hold the Lease", async () => (await holder()) === "op-a", 30_000);
    const b = start("op-b");

    await createCluster("first");
    const first = await waitForStatus("first");
    expect(first.phase).toBe("Failed");
    expect(first.conditions?.find((c) => c.type === "Ready")?.message).toContain("MySQL 5.7 is not supported");
    await waitFor("the Failed event of first", async () => (await reconciledBy("first")).length > 0, 10_000);
    expect(new Set(await reconciledBy("first"))).toEqual(new Set(["op-a"]));
    expect(await holder()).toBe("op-a");

    const killedAt = Date.now();
    await a.kill();
    await createCluster("second");
    await waitFor("op-b to take the Lease", async () => (await holder()) === "op-b", 30_000, 100);
    const takeoverMs = Date.now() - killedAt;
    // The Lease is 15 s and candidates retry every 2 s: a takeover later than that is a bug.
    expect(takeoverMs).toBeLessThan(15_000 + 2_000 + 1_500);
    expect((await waitForStatus("second")).phase).toBe("Failed");
    await waitFor("the Failed event of second", async () => (await reconciledBy("second")).length > 0, 10_000);
    expect(new Set(await reconciledBy("second"))).toEqual(new Set(["op-b"]));
    expect(b.logs.join("\n")).not.toMatch(/"level":(50|60)/);

    // A graceful stop releases the Lease, so a new operator starts leading at once.
    await b.stop();
    const releasedAt = Date.now();
    start("op-c");
    await waitFor("op-c to take the released Lease", async () => (await holder()) === "op-c", 15_000, 100);
    expect(Date.now() - releasedAt).toBeLessThan(10_000);
  });
});
