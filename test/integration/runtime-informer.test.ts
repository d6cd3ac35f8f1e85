import { describe, expect, inject, it } from "vitest";
import { RESOURCES, type KubeClient, type KubeObject, type WatchEvent } from "../../shared/k8s/client.js";
import { Informer } from "../../shared/runtime/informer.js";
import { TcpRelay, clientThrough, serverOf, useTestNamespace, waitFor } from "./runtime-fixtures.js";

const env = useTestNamespace("runtime-informer", { crds: true });

type Seen = [event: string, name: string, value?: string];

/** An informer on this namespace's ConfigMaps carrying `label`, recording what its handlers see. */
function recordingInformer(through: KubeClient, label: string, options: { resyncMs?: number } = {}) {
  const informer = new Informer<KubeObject & { data?: Record<string, string> }>(through, RESOURCES.ConfigMap, { namespace: env.namespace, labelSelector: `test=${label}`, ...options });
  const seen: Seen[] = [];
  informer.on("add", (object) => seen.push(["add", object.metadata.name, object.data?.v]));
  informer.on("update", (object) => seen.push(["update", object.metadata.name, object.data?.v]));
  informer.on("delete", (object) => seen.push(["delete", object.metadata.name]));
  return { informer, seen };
}

const configMap = (name: string, label: string, v: string): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: env.namespace, labels: { test: label } }, data: { v } });
const has = (seen: Seen[], expected: Seen) => seen.some((entry) => JSON.stringify(entry) === JSON.stringify(expected));

describe("Informer", () => {
  it("lists what exists, then sees adds, updates and deletes", async () => {
    await env.client.create(configMap("existing", "basic", "1"));
    const { informer, seen } = recordingInformer(env.client, "basic");
    await informer.start();
    try {
      expect(informer.hasSynced()).toBe(true);
      expect(seen).toEqual([["add", "existing", "1"]]);
      await env.client.create(configMap("added", "basic", "1"));
      await env.client.mergePatch(RESOURCES.ConfigMap, env.namespace, "existing", { data: { v: "2" } });
      await env.client.delete(RESOURCES.ConfigMap, env.namespace, "added");
      await waitFor("the delete to arrive", async () => has(seen, ["delete", "added"]), 10_000, 20);
      expect(seen).toEqual([
        ["add", "existing", "1"],
        ["add", "added", "1"],
        ["update", "existing", "2"],
        ["delete", "added"],
      ]);
      expect(informer.get(env.namespace, "existing")?.data?.v).toBe("2");
      expect(informer.list(env.namespace).map((object) => object.metadata.name)).toEqual(["existing"]);
    } finally {
      informer.stop();
    }
  });

  it("recovers after its connection is cut, and delivers what changed while it was away", async () => {
    const relay = new TcpRelay(serverOf(inject("kubeconfig")));
    const relayed = clientThrough(inject("kubeconfig"), await relay.start());
    await env.client.create(configMap("kept", "cut", "1"));
    await env.client.create(configMap("doomed", "cut", "1"));
    const { informer, seen } = recordingInformer(relayed, "cut");
    try {
      await informer.start();
      const connectionsBefore = relay.connections;
      expect(informer.listCount).toBe(1);

      // Reset the watch's TCP connection and refuse reconnects for a while; change things meanwhile.
      relay.cut(1500);
      await env.client.mergePatch(RESOURCES.ConfigMap, env.namespace, "kept", { data: { v: "2" } });
      await env.client.delete(RESOURCES.ConfigMap, env.namespace, "doomed");
      await env.client.create(configMap("while-away", "cut", "1"));

      await waitFor("the informer to catch up", async () => has(seen, ["add", "while-away", "1"]) && has(seen, ["delete", "doomed"]) && has(seen, ["update", "kept", "2"]), 20_000, 50);
      expect(relay.connections).toBeGreaterThan(connectionsBefore);
      expect(informer.listCount).toBeGreaterThan(1);

      // The new watch carries changes made after the cut.
      await env.client.create(configMap("after", "cut", "1"));
      await env.client.mergePatch(RESOURCES.ConfigMap, env.namespace, "kept", { data: { v: "3" } });
      await waitFor("events after the cut", async () => has(seen, ["add", "after", "1"]) && has(seen, ["update", "kept", "3"]), 10_000, 20);
      expect(informer.list().map((object) => object.metadata.name).sort()).toEqual(["after", "kept", "while-away"]);
    } finally {
      informer.stop();
      await relay.stop();
      await relayed.close();
    }
  });

  it("lists again when the API server answers 410 Gone to a resourceVersion it no longer has", async () => {
    // A DatabaseCluster watch cache begins when its CRD was installed, so resourceVersion 1 is too old for it.
    const events: WatchEvent[] = [];
    await env.client.watch(RESOURCES.DatabaseCluster, env.namespace, { resourceVersion: "1" }, (event) => events.push(event));
    expect(events.map((event) => [event.type, event.object.code])).toEqual([["ERROR", 410]]);

    const informer = new Informer(env.client, RESOURCES.DatabaseCluster, { namespace: env.namespace, watchTimeoutSeconds: 1 });
    const added: string[] = [];
    informer.on("add", (object) => added.push(object.metadata.name));
    await informer.start();
    try {
      // When the current watch ends (after a second), the next one asks for resourceVersion 1.
      informer.rewindForTest("1");
      await waitFor("a relist after 410 Gone", async () => informer.listCount >= 2, 10_000, 50);
      await env.client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", metadata: { name: "after-gone", namespace: env.namespace }, spec: { engine: "redis", replicas: 1 } });
      await waitFor("the add after the relist", async () => added.includes("after-gone"), 10_000, 20);
    } finally {
      informer.stop();
    }
  });

  it("re-emits every cached object as an update on resync", async () => {
    await env.client.create(configMap("resynced", "resync", "1"));
    const { informer, seen } = recordingInformer(env.client, "resync", { resyncMs: 300 });
    await informer.start();
    try {
      await waitFor("two resyncs", async () => seen.filter((entry) => entry[0] === "update").length >= 2, 5_000, 20);
      expect(seen[0]).toEqual(["add", "resynced", "1"]);
      expect(seen.slice(1).every((entry) => entry[0] === "update" && entry[1] === "resynced")).toBe(true);
    } finally {
      informer.stop();
    }
  });
});
