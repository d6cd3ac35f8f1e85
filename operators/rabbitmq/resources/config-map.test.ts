import { describe, expect, it } from "vitest";
import { testCluster } from "../test-cluster.js";
import { buildConfigMap } from "./config-map.js";

describe("buildConfigMap", () => {
  it("holds the config fragments and the plugins file, the peer list naming `peers` nodes", () => {
    const map = buildConfigMap(testCluster({ config: { heartbeat: "30" } }), 5) as unknown as { metadata: { name: string; labels: Record<string, string> }; data: Record<string, string> };
    expect(map.metadata.name).toBe("orders-config");
    expect(map.metadata.labels["steward.dev/engine"]).toBe("rabbitmq");
    expect(Object.keys(map.data).sort()).toEqual(["10-cluster-formation.conf", "20-steward.conf", "30-user.conf", "enabled_plugins"]);
    expect(map.data["10-cluster-formation.conf"]).toContain("nodes.5 = rabbit@orders-4.orders-headless.shop.svc.cluster.local");
    expect(map.data["30-user.conf"]).toBe("heartbeat = 30\n");
    expect(JSON.stringify(map)).not.toMatch(/default_pass/);
  });
});
