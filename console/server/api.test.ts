import { describe, expect, it } from "vitest";
import { backupName, clusterChange, maskUri, namespacesParameter, restoreRequest } from "./api.js";

describe("console API input", () => {
  it("masks the password in a connection URI", () => {
    expect(maskUri("mysql://app:s3cr3t@orders-primary.shop.svc:3306/orders")).toBe("mysql://app:********@orders-primary.shop.svc:3306/orders");
    expect(maskUri("redis://:pw@r.shop.svc:6379")).toBe("redis://:********@r.shop.svc:6379");
    expect(maskUri("amqp://host:5672")).toBe("amqp://host:5672");
  });

  it("reads the namespaces a namespaced user asks to see, and refuses anything else", () => {
    expect(namespacesParameter(new URL("http://console/api/live"))).toEqual([]);
    expect(namespacesParameter(new URL("http://console/api/live?namespaces=shop,%20billing,shop"))).toEqual(["shop", "billing"]);
    expect(() => namespacesParameter(new URL("http://console/api/live?namespaces=Shop"))).toThrow(/namespace names/);
    expect(() => namespacesParameter(new URL(`http://console/api/live?namespaces=${Array.from({ length: 21 }, (_, index) => `n${index}`).join(",")}`))).toThrow(/up to 20/);
  });

  it("names a backup after its cluster and the UTC time", () => {
    expect(backupName("orders", new Date("2026-12-06T04:15:03.123Z"))).toBe("orders-20261206-041503");
  });

  // The CRD's CEL rules (exactly one source, confirmOverwrite) are the API server's to check; zod checks shapes.
  it("reads restore requests with the CRD's zod schema", () => {
    expect(restoreRequest.safeParse({ namespace: "shop", name: "r1", spec: { source: { backup: "b1" }, target: { newCluster: "copy" } } }).success).toBe(true);
    const badTime = restoreRequest.safeParse({ namespace: "shop", name: "r1", spec: { source: { cluster: "orders", pointInTime: "yesterday" } } });
    expect(badTime.error?.issues[0]?.path).toEqual(["spec", "source", "pointInTime"]);
    expect(restoreRequest.safeParse({ namespace: "shop", name: "r1", spec: { source: { backup: "b1" } }, extra: 1 }).success).toBe(false);
  });

  it("lets a cluster change carry only replicas, a storage size and a switchover", () => {
    expect(clusterChange.parse({ replicas: 3, storageSize: "20Gi" })).toEqual({ replicas: 3, storageSize: "20Gi" });
    expect(clusterChange.safeParse({ spec: { engine: "redis" } }).success).toBe(false);
    expect(clusterChange.safeParse({ storageSize: "lots" }).success).toBe(false);
  });
});
