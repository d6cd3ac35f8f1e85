/**
 * Given the operator (a real process) on the real API server, when a valid DatabaseCluster is
 * created, then it gets its connection Secret, owned children, conditions and
 * observedGeneration; the paused annotation stops reconciling and removing it resumes; deleting
 * the cluster lets the garbage collector remove every child, while the volumes stay
 * (deletionPolicy RetainData).
 */
import { afterAll, describe, expect, inject, it } from "vitest";
import { RESOURCES, type KubeObject, type ResourceType } from "../../shared/k8s/client.js";
import { startOperatorProcess, type OperatorProcess } from "../fixtures/operator.js";
import { useTestNamespace, waitFor } from "./runtime-fixtures.js";

const test = useTestNamespace("lifecycle", { crds: true });
let operator: OperatorProcess | undefined;
afterAll(async () => {
  await operator?.kill();
});

interface ClusterObject extends KubeObject {
  status?: { phase?: string; observedGeneration?: number; connectionSecret?: string; conditions?: { type: string; status: string; observedGeneration?: number }[] };
}

const CHILDREN: [ResourceType, string][] = [
  [RESOURCES.StatefulSet, "shop"],
  [RESOURCES.Service, "shop-primary"],
  [RESOURCES.Service, "shop-replicas"],
  [RESOURCES.Service, "shop-headless"],
  [RESOURCES.Secret, "shop-credentials"],
  [RESOURCES.Secret, "shop-conn"],
  [RESOURCES.ConfigMap, "shop-config"],
];

async function cluster(): Promise<ClusterObject | undefined> {
  return test.client.get<ClusterObject>(RESOURCES.DatabaseCluster, test.namespace, "shop");
}

describe("a DatabaseCluster's life", () => {
  it("gets its connection Secret, owned children, conditions and observedGeneration", async () => {
    operator = startOperatorProcess({ kubeconfig: inject("kubeconfig"), namespace: test.namespace, identity: "lifecycle" });
    const created = await test.client.create<ClusterObject>({
      apiVersion: "steward.dev/v1alpha1",
      kind: "DatabaseCluster",
      metadata: { name: "shop", namespace: test.namespace },
      spec: { engine: "mysql", flavor: "mariadb", replicas: 1 },
    });
    await waitFor("the first status", async () => (await cluster())?.status?.observedGeneration === created.metadata.generation, 60_000);
    const status = (await cluster())!.status!;
    expect(status.connectionSecret).toBe("shop-conn");
    expect(["Provisioning", "Ready"]).toContain(status.phase);
    expect(status.conditions?.find((condition) => condition.type === "Ready")?.observedGeneration).toBe(created.metadata.generation);

    for (const [type, name] of CHILDREN) {
      const child = await test.client.get(type, test.namespace, name);
      expect(child, `${type.kind} ${name}`).toBeDefined();
      expect(child!.metadata.ownerReferences, `${type.kind} ${name}`).toEqual([expect.objectContaining({ kind: "DatabaseCluster", name: "shop", uid: created.metadata.uid, controller: true })]);
      // The label the operator's watches select owned objects by; without it a change goes unseen.
      expect(child!.metadata.labels?.["app.kubernetes.io/managed-by"], `${type.kind} ${name}`).toBe("steward");
    }
    // Applied objects carry the hash of what was applied: the next reconcile skips them while unchanged.
    expect((await test.client.get(RESOURCES.StatefulSet, test.namespace, "shop"))!.metadata.annotations?.["steward.dev/applied-hash"]).toMatch(/^[0-9a-f]{32}$/);
    const secret = (await test.client.get<KubeObject & { data: Record<string, string> }>(RESOURCES.Secret, test.namespace, "shop-conn"))!;
    const data = Object.fromEntries(Object.entries(secret.data).map(([key, value]) => [key, Buffer.from(value, "base64").toString()]));
    expect(data).toMatchObject({ host: `shop-primary.${test.namespace}.svc`, port: "3306", username: "app", database: "shop" });
    expect(data.password).toMatch(/^[A-Za-z0-9]{24,}$/);
    // TLS is on by default: the URI asks the client to verify the server's certificate and name, with the CA beside it.
    expect(data.uri).toBe(`mysql://app:${data.password}@shop-primary.${test.namespace}.svc:3306/shop?ssl-mode=VERIFY_IDENTITY`);
    expect(data["ca.crt"]).toMatch(/^-----BEGIN CERTIFICATE-----/);
    // The password lives only in Secrets: never in the cluster's status.
    expect(JSON.stringify(await cluster())).not.toContain(data.password);
  });

  it("stops reconciling while the steward.dev/paused annotation is set, and resumes without it", async () => {
    await test.client.mergePatch(RESOURCES.DatabaseCluster, test.namespace, "shop", { metadata: { annotations: { "steward.dev/paused": "true" } } });
    await waitFor("the Paused condition", async () => (await cluster())?.status?.conditions?.some((condition) => condition.type === "Paused" && condition.status === "True") ?? false, 30_000);
    const before = (await cluster())!.status!.observedGeneration!;
    const changed = await test.client.mergePatch<ClusterObject>(RESOURCES.DatabaseCluster, test.namespace, "shop", { spec: { config: { max_connections: "200" } } });
    expect(changed.metadata.generation).toBe(before + 1);
    // Reconciles keep coming (the operator requeues), yet none acts on the new generation.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect((await cluster())!.status!.observedGeneration).toBe(before);

    await test.client.mergePatch(RESOURCES.DatabaseCluster, test.namespace, "shop", { metadata: { annotations: { "steward.dev/paused": null } } });
    await waitFor("the new generation observed", async () => (await cluster())?.status?.observedGeneration === changed.metadata.generation, 30_000);
    expect((await cluster())!.status!.conditions?.find((condition) => condition.type === "Paused")?.status).toBe("False");
  });

  it("lets the garbage collector remove every child when the cluster is deleted, and keeps the volume", async () => {
    await waitFor("the data volume claim", async () => (await test.client.get(RESOURCES.PersistentVolumeClaim, test.namespace, "data-shop-0")) !== undefined, 60_000);
    await test.client.delete(RESOURCES.DatabaseCluster, test.namespace, "shop");
    for (const [type, name] of CHILDREN) {
      await waitFor(`${type.kind} ${name} to be collected`, async () => (await test.client.get(type, test.namespace, name)) === undefined, 60_000);
    }
    await waitFor("the pod to go", async () => (await test.client.get(RESOURCES.Pod, test.namespace, "shop-0")) === undefined, 60_000);
    expect(await test.client.get(RESOURCES.PersistentVolumeClaim, test.namespace, "data-shop-0")).toBeDefined();
  });
});
