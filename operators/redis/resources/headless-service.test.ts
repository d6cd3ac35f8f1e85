import { describe, expect, it } from "vitest";
import { buildHeadlessService } from "./headless-service.js";
import { testInput } from "./test-input.js";

describe("buildHeadlessService", () => {
  it("publishes every database pod, ready or not, under <cluster>-headless", () => {
    const service = buildHeadlessService(testInput()) as unknown as { metadata: { name: string }; spec: Record<string, unknown> };
    expect(service.metadata.name).toBe("cache-headless");
    expect(service.spec).toMatchObject({
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: { "steward.dev/cluster": "cache", "steward.dev/component": "database" },
      ports: [{ name: "redis", port: 6379, targetPort: 6379, protocol: "TCP" }],
    });
  });
});
