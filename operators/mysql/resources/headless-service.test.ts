import { describe, expect, it } from "vitest";
import { buildHeadlessService } from "./headless-service.js";
import { testInput } from "./test-cluster.js";

describe("buildHeadlessService", () => {
  it("governs the StatefulSet, publishes not-ready pods and selects every database pod", () => {
    const service = buildHeadlessService(testInput()) as unknown as { metadata: { name: string }; spec: Record<string, unknown> };
    expect(service.metadata.name).toBe("orders-headless");
    expect(service.spec).toMatchObject({
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: { "steward.dev/cluster": "orders", "steward.dev/component": "database" },
      ports: [
        { name: "mysql", port: 3306 },
        { name: "agent", port: 8765 },
      ],
    });
  });
});
