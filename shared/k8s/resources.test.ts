import { describe, expect, it } from "vitest";
import { RESOURCES, apiVersionOf, knownResourceType, parseApiVersion, resourcePath } from "./resources.js";

describe("resource paths", () => {
  it("builds core, grouped, cluster-scoped and subresource paths", () => {
    expect(resourcePath(RESOURCES.Pod, "shop", "orders-0")).toBe("/api/v1/namespaces/shop/pods/orders-0");
    expect(resourcePath(RESOURCES.StatefulSet, "shop")).toBe("/apis/apps/v1/namespaces/shop/statefulsets");
    expect(resourcePath(RESOURCES.Pod, undefined)).toBe("/api/v1/pods");
    expect(resourcePath(RESOURCES.Namespace, "ignored", "shop")).toBe("/api/v1/namespaces/shop");
    expect(resourcePath(RESOURCES.DatabaseCluster, "shop", "orders", "status")).toBe("/apis/steward.dev/v1alpha1/namespaces/shop/databaseclusters/orders/status");
  });

  it("maps apiVersion and kind back to a type", () => {
    expect(apiVersionOf(RESOURCES.Secret)).toBe("v1");
    expect(apiVersionOf(RESOURCES.Event)).toBe("events.k8s.io/v1");
    expect(parseApiVersion("apps/v1")).toEqual({ group: "apps", version: "v1" });
    expect(knownResourceType("steward.dev/v1alpha1", "BackupStorage")).toBe(RESOURCES.BackupStorage);
    expect(knownResourceType("v1", "Event")).toBe(RESOURCES.CoreEvent);
    expect(knownResourceType("example.com/v1", "Widget")).toBeUndefined();
  });
});
