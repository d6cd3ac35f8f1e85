import { describe, expect, it } from "vitest";
import { ANNOTATIONS } from "../api/names.js";
import { appliedHash, isUpToDate, statesSameAs, withAppliedHash } from "./apply.js";
import type { KubeObject } from "./client.js";

const desired: KubeObject = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "shop-primary", namespace: "ns", labels: { a: "1", b: "2" } },
  spec: { ports: [{ name: "db", port: 3306 }], selector: { role: "primary" } },
};

/** What the API server hands back after applying `desired`: defaults and server fields added. */
function live(object: KubeObject): KubeObject {
  const hashed = withAppliedHash(object);
  const spec = object.spec as { ports: object[] };
  return { ...hashed, metadata: { ...hashed.metadata, uid: "u", resourceVersion: "7" }, spec: { ...(hashed.spec as object), clusterIP: "10.0.0.1", ports: spec.ports.map((port) => ({ ...port, protocol: "TCP", targetPort: 3306 })) } };
}

describe("appliedHash", () => {
  it("ignores key order, undefined fields and its own annotation", () => {
    const reordered: KubeObject = { spec: { selector: { role: "primary" }, ports: [{ port: 3306, name: "db" }] }, kind: "Service", apiVersion: "v1", metadata: { labels: { b: "2", a: "1" }, namespace: "ns", name: "shop-primary", annotations: undefined } };
    expect(appliedHash(reordered)).toBe(appliedHash(desired));
    expect(appliedHash(withAppliedHash(desired))).toBe(appliedHash(desired));
    expect(appliedHash({ ...desired, metadata: { ...desired.metadata, labels: { a: "1" } } })).not.toBe(appliedHash(desired));
  });
});

describe("isUpToDate: whether applying again would change anything", () => {
  it("is true for the object as the server keeps it, with defaults added", () => {
    expect(isUpToDate(desired, live(desired))).toBe(true);
  });
  it("is false when nothing is cached, or the cached object is being deleted", () => {
    expect(isUpToDate(desired, undefined)).toBe(false);
    expect(isUpToDate(desired, { ...live(desired), metadata: { ...live(desired).metadata, deletionTimestamp: "2026-12-06T00:00:00Z" } })).toBe(false);
  });
  it("is false when someone changed a field Steward states (drift)", () => {
    const changed = live(desired);
    (changed.spec as { selector: Record<string, string> }).selector = { role: "replica" };
    expect(isUpToDate(desired, changed)).toBe(false);
  });
  it("is false when the desired object dropped a field (only the hash can tell: the field is still live)", () => {
    const fewerLabels = { ...desired, metadata: { ...desired.metadata, labels: { a: "1" } } };
    expect(isUpToDate(fewerLabels, live(desired))).toBe(false);
  });
  it("is false for an object applied before the hash annotation existed", () => {
    const old = live(desired);
    delete old.metadata.annotations![ANNOTATIONS.appliedHash];
    expect(isUpToDate(desired, old)).toBe(false);
  });
  it("compares a Secret's stringData with the base64 data the server keeps", () => {
    const secret: KubeObject = { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "ns" }, stringData: { password: "p" } };
    const hashed = withAppliedHash(secret);
    const kept: KubeObject = { apiVersion: "v1", kind: "Secret", metadata: hashed.metadata, type: "Opaque", data: { password: Buffer.from("p").toString("base64") } };
    expect(isUpToDate(secret, kept)).toBe(true);
    expect(isUpToDate(secret, { ...kept, data: { password: Buffer.from("q").toString("base64") } })).toBe(false);
  });
});

describe("statesSameAs", () => {
  it("needs lists of the same length, element by element", () => {
    expect(statesSameAs([{ a: 1 }], [{ a: 1, b: 2 }])).toBe(true);
    expect(statesSameAs([{ a: 1 }], [{ a: 1 }, { a: 2 }])).toBe(false);
    expect(statesSameAs({ a: "1" }, { a: 1 })).toBe(false);
  });
});
