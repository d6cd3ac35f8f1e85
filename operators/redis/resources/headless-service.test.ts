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
      ports: [
        { name: "redis", port: 6379, targetPort: 6379, protocol: "TCP" },
        { name: "redis-tls", port: 6380, targetPort: 6380, protocol: "TCP" },
      ],
    });
  });

  it("publishes the TLS port only when TLS is required, and the plaintext one only without TLS", () => {
    const ports = (spec: Record<string, unknown>) => (buildHeadlessService(testInput(spec)) as unknown as { spec: { ports: { port: number }[] } }).spec.ports.map((port) => port.port);
    expect(ports({ tls: { enabled: true, required: true } })).toEqual([6380]);
    expect(ports({ tls: { enabled: false, required: false } })).toEqual([6379]);
  });
});
