import { describe, expect, it } from "vitest";
import { formatUnhealthy, parseUnhealthy } from "./heal.js";

describe("the primary-unhealthy-since annotation (the failover clock survives an operator restart)", () => {
  it("round-trips the primary, the time and the replicas that were streaming", () => {
    const record = { primary: "orders-0", since: new Date("2026-11-25T10:00:00.250Z"), streaming: ["orders-1", "orders-2"] };
    expect(formatUnhealthy(record)).toBe("orders-0@2026-11-25T10:00:00.250Z|orders-1,orders-2");
    expect(parseUnhealthy(formatUnhealthy(record))).toEqual(record);
  });
  it("reads an empty streaming list and refuses garbage", () => {
    expect(parseUnhealthy("orders-0@2026-11-25T10:00:00Z|")?.streaming).toEqual([]);
    expect(parseUnhealthy("orders-0@2026-11-25T10:00:00Z")?.streaming).toEqual([]);
    expect(parseUnhealthy("nonsense")).toBeUndefined();
    expect(parseUnhealthy("orders-0@not-a-time|")).toBeUndefined();
    expect(parseUnhealthy(undefined)).toBeUndefined();
  });
});
