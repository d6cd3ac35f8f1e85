import { describe, expect, it } from "vitest";
import type { KubeObject } from "./client.js";
import { controllerOf, ownerReference, withOwner } from "./owner.js";

const cluster: KubeObject = { apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", metadata: { name: "orders", namespace: "shop", uid: "uid-1" } };
const secret: KubeObject = { apiVersion: "v1", kind: "Secret", metadata: { name: "orders-conn", namespace: "shop" } };

describe("owner references", () => {
  it("makes the owner the controller that blocks deletion by default", () => {
    expect(ownerReference(cluster)).toEqual({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", name: "orders", uid: "uid-1", controller: true, blockOwnerDeletion: true });
    expect(ownerReference(cluster, { controller: false, blockOwnerDeletion: false })).toMatchObject({ controller: false, blockOwnerDeletion: false });
  });

  it("refuses an owner that was never read from the API server", () => {
    expect(() => ownerReference({ ...cluster, metadata: { name: "orders" } })).toThrow(/no uid/);
  });

  it("adds the reference once, however often it is asked", () => {
    const owned = withOwner(withOwner(secret, cluster), cluster);
    expect(owned.metadata.ownerReferences).toHaveLength(1);
    expect(controllerOf(owned)?.name).toBe("orders");
    expect(secret.metadata.ownerReferences).toBeUndefined();
  });

  it("adds a second owner as a plain owner, since an object has one controller", () => {
    const other = { ...cluster, metadata: { ...cluster.metadata, name: "other", uid: "uid-2" } };
    const owned = withOwner(withOwner(secret, cluster), other);
    expect(owned.metadata.ownerReferences?.map((reference) => reference.controller)).toEqual([true, false]);
    expect(controllerOf(secret)).toBeUndefined();
  });
});
