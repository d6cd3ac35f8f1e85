import { describe, expect, it } from "vitest";
import { testCluster } from "../test-cluster.js";
import { buildClientService, buildHeadlessService } from "./services.js";

type ServiceLike = { metadata: { name: string }; spec: { clusterIP?: string; publishNotReadyAddresses?: boolean; selector: Record<string, string>; ports: { name: string; port: number }[] } };

describe("Services", () => {
  it("headless: epmd and distribution ports, not-ready pods published so a new cluster can form", () => {
    const service = buildHeadlessService(testCluster()) as unknown as ServiceLike;
    expect(service.metadata.name).toBe("orders-headless");
    expect(service.spec.clusterIP).toBe("None");
    expect(service.spec.publishNotReadyAddresses).toBe(true);
    expect(service.spec.ports.map((p) => [p.name, p.port])).toEqual([["epmd", 4369], ["cluster-links", 25672], ["agent", 8766]]);
    expect(service.spec.selector).toEqual({ "steward.dev/cluster": "orders", "steward.dev/component": "broker" });
  });

  it("client: AMQP and AMQPS, management over HTTP and HTTPS, and Prometheus on the ready nodes (TLS on by default)", () => {
    const service = buildClientService(testCluster()) as unknown as ServiceLike;
    expect(service.metadata.name).toBe("orders");
    expect(service.spec.publishNotReadyAddresses).toBeUndefined();
    expect(service.spec.ports.map((p) => [p.name, p.port])).toEqual([["amqp", 5672], ["management", 15672], ["amqps", 5671], ["management-tls", 15671], ["prometheus", 15692]]);
  });

  it("client: only the TLS ports (and metrics) with spec.tls.required, only the plaintext ones with TLS off", () => {
    const required = buildClientService(testCluster({ tls: { enabled: true, required: true } })) as unknown as ServiceLike;
    expect(required.spec.ports.map((p) => [p.name, p.port])).toEqual([["amqps", 5671], ["management-tls", 15671], ["prometheus", 15692]]);
    const off = buildClientService(testCluster({ tls: { enabled: false, required: false } })) as unknown as ServiceLike;
    expect(off.spec.ports.map((p) => [p.name, p.port])).toEqual([["amqp", 5672], ["management", 15672], ["prometheus", 15692]]);
  });
});
