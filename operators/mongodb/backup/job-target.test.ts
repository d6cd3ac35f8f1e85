import { describe, expect, it } from "vitest";
import { testInput } from "../resources/test-input.js";
import { mongodbJobTarget, mongodbPrimaryHost } from "./job-target.js";

describe("mongodbJobTarget", () => {
  it("seeds the driver with the primary Service and passes the admin password by reference", () => {
    const { cluster } = testInput();
    const target = mongodbJobTarget(cluster);
    expect(target.args).toEqual(["--engine", "mongodb", "--host", "orders-db-primary.shop.svc", "--port", "27017"]);
    expect(JSON.stringify(target.env)).toContain('"secretKeyRef":{"name":"orders-db-credentials","key":"admin"}');
    expect(mongodbJobTarget(cluster, "orders-db-1.orders-db-headless.shop.svc.cluster.local").args).toContain("orders-db-1.orders-db-headless.shop.svc.cluster.local");
  });

  it("names the recorded primary's own address for in-place restores", () => {
    expect(mongodbPrimaryHost(testInput().cluster)).toBeUndefined();
    expect(mongodbPrimaryHost(testInput({}, { currentPrimary: "orders-db-2" } as never).cluster)).toBe("orders-db-2.orders-db-headless.shop.svc.cluster.local");
  });
});
