import { describe, expect, it } from "vitest";
import type { KubeObject } from "../k8s/client.js";
import { diffRelist, objectKey } from "./informer.js";
import { selectorCovers } from "./informer-factory.js";

const object = (name: string, resourceVersion: string): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "ns", resourceVersion } });

describe("diffRelist", () => {
  it("finds objects added, changed and deleted since the cache was filled", () => {
    const cache = new Map([
      [objectKey("ns", "kept"), object("kept", "1")],
      [objectKey("ns", "changed"), object("changed", "2")],
      [objectKey("ns", "gone"), object("gone", "3")],
    ]);
    const changes = diffRelist(cache, [object("kept", "1"), object("changed", "5"), object("new", "6")]);
    expect(changes.added.map((o) => o.metadata.name)).toEqual(["new"]);
    expect(changes.updated.map(({ object, old }) => [object.metadata.resourceVersion, old.metadata.resourceVersion])).toEqual([["5", "2"]]);
    expect(changes.deleted.map((o) => o.metadata.name)).toEqual(["gone"]);
  });

  it("keys cluster-scoped objects by name alone", () => {
    expect(objectKey(undefined, "node-1")).toBe("node-1");
    expect(objectKey("ns", "a")).toBe("ns/a");
  });
});

describe("selectorCovers", () => {
  const labels = { "steward.dev/cluster": "orders", "app.kubernetes.io/component": "database" };

  it("answers from an informer whose selector every object with these labels matches", () => {
    expect(selectorCovers(undefined, labels)).toBe(true);
    expect(selectorCovers("steward.dev/cluster", labels)).toBe(true);
    expect(selectorCovers("steward.dev/cluster=orders", labels)).toBe(true);
    expect(selectorCovers("steward.dev/cluster==orders,app.kubernetes.io/component", labels)).toBe(true);
  });

  it("does not answer when the selector could leave some of them out, or is not understood", () => {
    expect(selectorCovers("app.kubernetes.io/managed-by=steward", labels)).toBe(false);
    expect(selectorCovers("steward.dev/cluster=payments", labels)).toBe(false);
    expect(selectorCovers("steward.dev/cluster!=payments", labels)).toBe(false);
    expect(selectorCovers("steward.dev/cluster in (orders)", labels)).toBe(false);
  });
});
