import { describe, expect, it } from "vitest";
import { testInput } from "../resources/test-input.js";
import { redisJobTarget } from "./job-target.js";

describe("redisJobTarget", () => {
  it("sends Jobs to the TLS port with the cluster's CA from <cluster>-tls when it serves TLS", () => {
    const target = redisJobTarget(testInput().cluster);
    expect(target.args).toEqual(["--engine", "redis", "--host", "cache-replicas.shop.svc", "--port", "6380"]);
    expect(target.env).toContainEqual({ name: "STEWARD_TLS_CA", valueFrom: { secretKeyRef: { name: "cache-tls", key: "ca.crt" } } });
  });

  it("uses the plaintext port and no CA without TLS", () => {
    const target = redisJobTarget(testInput({ tls: { enabled: false, required: false } }).cluster);
    expect(target.args.at(-1)).toBe("6379");
    expect(target.env!.some((variable) => variable.name === "STEWARD_TLS_CA")).toBe(false);
  });
});
