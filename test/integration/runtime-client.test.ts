import { describe, expect, it } from "vitest";
import { KubeApiError, RESOURCES, isAlreadyExists, isConflict, isNotFound, type KubeObject, type WatchEvent } from "../../shared/k8s/client.js";
import { useTestNamespace } from "./runtime-fixtures.js";

const env = useTestNamespace("runtime-client", { crds: true });

const configMap = (name: string, data: Record<string, string>, labels?: Record<string, string>): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: env.namespace, labels },
  data,
});

describe("KubeClient against the API server", () => {
  it("applies, reads, lists, patches and deletes an object", async () => {
    const applied = await env.client.apply(configMap("settings", { a: "1", b: "2" }, { app: "round-trip" }));
    expect(applied.metadata.uid).toBeTruthy();
    expect(applied.data).toEqual({ a: "1", b: "2" });

    // A second apply that no longer states b removes it: server-side apply owns the field.
    const reapplied = await env.client.apply(configMap("settings", { a: "1" }, { app: "round-trip" }));
    expect(reapplied.data).toEqual({ a: "1" });
    const managers = (reapplied.metadata.managedFields as { manager: string }[]).map((entry) => entry.manager);
    expect(managers).toContain("steward");

    const read = await env.client.get(RESOURCES.ConfigMap, env.namespace, "settings");
    expect(read?.metadata.resourceVersion).toBe(reapplied.metadata.resourceVersion);

    await env.client.create(configMap("other", { x: "y" }, { app: "elsewhere" }));
    const listed = await env.client.list(RESOURCES.ConfigMap, env.namespace, { labelSelector: "app=round-trip" });
    expect(listed.items.map((item) => [item.apiVersion, item.kind, item.metadata.name])).toEqual([["v1", "ConfigMap", "settings"]]);
    expect(Number(listed.resourceVersion)).toBeGreaterThan(0);

    const merged = await env.client.mergePatch(RESOURCES.ConfigMap, env.namespace, "settings", { data: { c: "3", a: null } });
    expect(merged.data).toEqual({ c: "3" });
    const patched = await env.client.jsonPatch(RESOURCES.ConfigMap, env.namespace, "settings", [{ op: "add", path: "/data/d", value: "4" }]);
    expect(patched.data).toEqual({ c: "3", d: "4" });

    expect(await env.client.delete(RESOURCES.ConfigMap, env.namespace, "settings")).toBe(true);
    expect(await env.client.get(RESOURCES.ConfigMap, env.namespace, "settings")).toBeUndefined();
    expect(await env.client.delete(RESOURCES.ConfigMap, env.namespace, "settings")).toBe(false);
  });

  it("reports a stale resourceVersion as a conflict and a duplicate create as already-exists", async () => {
    const created = await env.client.create(configMap("versioned", { v: "1" }));
    await env.client.replace({ ...created, data: { v: "2" } });
    const stale = await env.client.replace({ ...created, data: { v: "3" } }).catch((error: unknown) => error);
    expect(isConflict(stale)).toBe(true);
    expect((stale as KubeApiError).statusCode).toBe(409);
    const duplicate = await env.client.create(configMap("versioned", {})).catch((error: unknown) => error);
    expect(isAlreadyExists(duplicate)).toBe(true);
    expect(isConflict(duplicate)).toBe(false);
    const missing = await env.client.mergePatch(RESOURCES.ConfigMap, env.namespace, "absent", { data: {} }).catch((error: unknown) => error);
    expect(isNotFound(missing)).toBe(true);
  });

  it("deletes only the object with the given uid", async () => {
    const first = await env.client.create(configMap("recreated", {}));
    await env.client.delete(RESOURCES.ConfigMap, env.namespace, "recreated");
    await env.client.create(configMap("recreated", {}));
    const refused = await env.client.delete(RESOURCES.ConfigMap, env.namespace, "recreated", { uid: first.metadata.uid }).catch((error: unknown) => error);
    expect(isConflict(refused)).toBe(true);
    expect(await env.client.get(RESOURCES.ConfigMap, env.namespace, "recreated")).toBeDefined();
  });

  it("surfaces a CEL refusal with the server's message, naming the field", async () => {
    const refused = await env.client
      .apply({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", metadata: { name: "even", namespace: env.namespace }, spec: { engine: "mongodb", replicas: 2 } })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(KubeApiError);
    expect((refused as KubeApiError).statusCode).toBe(422);
    expect((refused as KubeApiError).reason).toBe("Invalid");
    expect((refused as Error).message).toMatch(/^DatabaseCluster\.steward\.dev "even" is invalid: spec\.replicas: .*mongodb needs an odd number of replicas/);
  });

  it("applies a Steward resource and its status subresource", async () => {
    const cluster = await env.client.apply({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", metadata: { name: "orders", namespace: env.namespace }, spec: { engine: "redis", replicas: 1 } });
    expect(cluster.spec).toMatchObject({ engine: "redis", replicas: 1, paused: false });
    const withStatus = await env.client.applyStatus({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", metadata: { name: "orders", namespace: env.namespace }, status: { phase: "Pending" } });
    expect(withStatus.status).toEqual({ phase: "Pending" });
    expect(withStatus.metadata.generation).toBe(cluster.metadata.generation);
  });

  it("finds kinds outside the well-known list through discovery", async () => {
    const type = await env.client.resourceTypeOf({ apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass" });
    expect(type).toEqual({ group: "scheduling.k8s.io", version: "v1", kind: "PriorityClass", plural: "priorityclasses", namespaced: false });
  });

  it("watches changes from a resourceVersion and ends when aborted", async () => {
    const { resourceVersion } = await env.client.list(RESOURCES.ConfigMap, env.namespace);
    const events: WatchEvent[] = [];
    const abort = new AbortController();
    const watching = env.client.watch(RESOURCES.ConfigMap, env.namespace, { resourceVersion, signal: abort.signal, fieldSelector: "metadata.name=watched" }, (event) => {
      events.push(event);
      if (event.type === "DELETED") abort.abort();
    });
    await env.client.create(configMap("watched", { v: "1" }));
    await env.client.mergePatch(RESOURCES.ConfigMap, env.namespace, "watched", { data: { v: "2" } });
    await env.client.delete(RESOURCES.ConfigMap, env.namespace, "watched");
    await watching;
    expect(events.map((event) => [event.type, event.object.kind, event.object.data])).toEqual([
      ["ADDED", "ConfigMap", { v: "1" }],
      ["MODIFIED", "ConfigMap", { v: "2" }],
      ["DELETED", "ConfigMap", { v: "2" }],
    ]);
  });
});
