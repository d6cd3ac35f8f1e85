import { describe, expect, it } from "vitest";
import { buildPrimaryService, buildReplicasService } from "./role-services.js";
import { testInput } from "./test-cluster.js";

describe("role Services", () => {
  it("<name>-primary selects only the pod labelled primary and exposes the agent for seeding", () => {
    const service = buildPrimaryService(testInput()) as unknown as { metadata: { name: string }; spec: { selector: Record<string, string>; ports: { name: string }[]; type: string } };
    expect(service.metadata.name).toBe("orders-primary");
    expect(service.spec.type).toBe("ClusterIP");
    expect(service.spec.selector).toEqual({ "steward.dev/cluster": "orders", "steward.dev/component": "database", "steward.dev/role": "primary" });
    expect(service.spec.ports.map((port) => port.name)).toEqual(["mysql", "agent"]);
  });
  it("<name>-replicas selects the pods labelled replica, MySQL port only", () => {
    const service = buildReplicasService(testInput()) as unknown as { metadata: { name: string }; spec: { selector: Record<string, string>; ports: { name: string }[] } };
    expect(service.metadata.name).toBe("orders-replicas");
    expect(service.spec.selector["steward.dev/role"]).toBe("replica");
    expect(service.spec.ports.map((port) => port.name)).toEqual(["mysql"]);
  });
});
