import { describe, expect, it } from "vitest";
import { buildPrimaryService, buildReplicasService } from "./role-services.js";
import { testInput } from "./test-input.js";

type Service = { metadata: { name: string }; spec: { type: string; selector: Record<string, string>; ports: { port: number }[] } };

describe("role Services", () => {
  it("<cluster>-primary selects only the pod labelled primary", () => {
    const service = buildPrimaryService(testInput()) as unknown as Service;
    expect(service.metadata.name).toBe("cache-primary");
    expect(service.spec.type).toBe("ClusterIP");
    expect(service.spec.selector).toEqual({ "steward.dev/cluster": "cache", "steward.dev/component": "database", "steward.dev/role": "primary" });
    // TLS is on by default (spec.tls.enabled), plaintext beside it until spec.tls.required.
    expect(service.spec.ports.map((port) => port.port)).toEqual([6379, 6380]);
    expect((buildPrimaryService(testInput({ tls: { enabled: true, required: true } })) as unknown as Service).spec.ports.map((port) => port.port)).toEqual([6380]);
  });

  it("<cluster>-replicas selects the pods labelled replica", () => {
    const service = buildReplicasService(testInput()) as unknown as Service;
    expect(service.metadata.name).toBe("cache-replicas");
    expect(service.spec.selector["steward.dev/role"]).toBe("replica");
  });
});
