/**
 * Given the local cluster, when a 3-replica StatefulSet of redis-server is created through the
 * real StatefulSet controller, then every pod has its own network namespace (all on 6379), they
 * reach each other by StatefulSet DNS names, data on a PVC survives the pod, and the runtime's
 * faults (crash, network cut) behave as on a real node.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clients, execOk, freshNamespace, isReady, readPod, runtime, waitFor, waitForPod, apply } from "./local-fixtures.js";

let namespace = "";
let remove: () => Promise<void> = async () => {};
const fqdn = (i: number) => `web-${i}.web.${namespace}.svc.cluster.local`;
const ping = (from: number, to: number) => runtime().exec({ namespace, pod: `web-${from}`, command: ["timeout", "3", "redis-cli", "-h", fqdn(to), "ping"], timeoutMs: 10_000 });

beforeAll(async () => {
  ({ namespace, remove } = await freshNamespace("sts"));
  await apply([
    { apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace }, spec: { clusterIP: "None", selector: { app: "web" }, ports: [{ name: "redis", port: 6379 }] } },
    {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "web", namespace },
      spec: {
        replicas: 3,
        serviceName: "web",
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: {
            terminationGracePeriodSeconds: 5,
            containers: [
              {
                name: "redis",
                image: "redis:7",
                command: ["redis-server", "--port", "6379", "--bind", "0.0.0.0", "--dir", "/data", "--save", "", "--protected-mode", "no"],
                ports: [{ name: "redis", containerPort: 6379 }],
                readinessProbe: { exec: { command: ["redis-cli", "ping"] }, periodSeconds: 1 },
                livenessProbe: { tcpSocket: { port: "redis" }, periodSeconds: 5 },
                volumeMounts: [{ name: "data", mountPath: "/data" }],
              },
            ],
          },
        },
        volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }],
      },
    },
  ]);
});

afterAll(async () => remove());

describe("a redis StatefulSet on the process runtime", () => {
  it("reaches 3/3 Ready, each pod in its own network namespace on port 6379", async () => {
    const { apps } = clients();
    await waitFor("3/3 ready replicas", async () => (await apps.readNamespacedStatefulSet({ name: "web", namespace })).status?.readyReplicas === 3, 120_000, 500);
    const pods = (await runtime().pods()).filter((p) => p.namespace === namespace);
    expect(pods).toHaveLength(3);
    expect(new Set(pods.map((p) => p.netns)).size).toBe(3);
    expect(new Set(pods.map((p) => p.ip)).size).toBe(3);
    for (const i of [0, 1, 2]) {
      expect((await execOk(namespace, `web-${i}`, ["hostname"])).trim()).toBe(`web-${i}`);
      expect(await execOk(namespace, `web-${i}`, ["redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"])).toContain("PONG");
    }
  });

  it("lets pods reach each other by their StatefulSet DNS names", async () => {
    for (const [from, to] of [[0, 1], [1, 2], [2, 0]] as const) {
      const result = await ping(from, to);
      expect(result.stdout, result.stderr).toContain("PONG");
    }
    // the short forms of the search path too
    expect(await execOk(namespace, "web-0", ["redis-cli", "-h", "web-2.web", "ping"])).toContain("PONG");
    expect(await execOk(namespace, "web-0", ["getent", "hosts", `web-1.web.${namespace}.svc`])).toContain((await readPod(namespace, "web-1"))!.status!.podIP!);
  });

  it("brings a deleted pod back with the same PVC and its data", async () => {
    const { core } = clients();
    await execOk(namespace, "web-1", ["redis-cli", "set", "survivor", "still-here"]);
    await execOk(namespace, "web-1", ["redis-cli", "save"]);
    const before = (await readPod(namespace, "web-1"))!;
    await core.deleteNamespacedPod({ name: "web-1", namespace });
    const after = await waitForPod(namespace, "web-1", (pod) => pod.metadata!.uid !== before.metadata!.uid && isReady(pod), "recreated and Ready", 90_000);
    expect(after.spec!.volumes!.find((v) => v.name === "data")?.persistentVolumeClaim?.claimName).toBe("data-web-1");
    expect((await execOk(namespace, "web-1", ["redis-cli", "get", "survivor"])).trim()).toBe("still-here");
  });

  it("grows a claim: the PV and the claim report the new capacity", async () => {
    const { core } = clients();
    await core.patchNamespacedPersistentVolumeClaim({ name: "data-web-0", namespace, body: [{ op: "replace", path: "/spec/resources/requests/storage", value: "2Gi" }] });
    await waitFor("the claim's capacity to grow", async () => (await core.readNamespacedPersistentVolumeClaim({ name: "data-web-0", namespace })).status?.capacity?.storage === "2Gi", 30_000, 250);
    const claim = await core.readNamespacedPersistentVolumeClaim({ name: "data-web-0", namespace });
    expect((await core.readPersistentVolume({ name: claim.spec!.volumeName! })).spec!.capacity!.storage).toBe("2Gi");
  });

  it("restarts a crashed container and counts the restart", async () => {
    const before = (await readPod(namespace, "web-2"))!.status!.containerStatuses![0]!.restartCount;
    await runtime().crashContainer({ namespace, pod: "web-2" });
    const pod = await waitForPod(namespace, "web-2", (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) > before && isReady(p), "restarted and Ready again", 60_000);
    expect(pod.status!.containerStatuses![0]!.lastState?.terminated?.exitCode).toBe(137);
  });

  it("makes a pod unreachable when its network is cut, and reachable again when restored", async () => {
    await runtime().setNetwork({ namespace, pod: "web-1", state: "cut" });
    try {
      const cut = await ping(0, 1);
      expect(cut.stdout).not.toContain("PONG");
    } finally {
      await runtime().setNetwork({ namespace, pod: "web-1", state: "restore" });
    }
    await waitFor("web-0 reaching web-1 again", async () => (await ping(0, 1)).stdout.includes("PONG"), 20_000, 500);
  });
});
