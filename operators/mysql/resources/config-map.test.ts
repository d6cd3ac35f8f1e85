import { describe, expect, it } from "vitest";
import { buildConfigMap } from "./config-map.js";
import { testInput } from "./test-cluster.js";

describe("buildConfigMap", () => {
  it("ships my.cnf and start.sh, owned by the cluster", () => {
    const configMap = buildConfigMap(testInput()) as unknown as { metadata: { name: string; ownerReferences?: { kind: string; controller?: boolean }[] }; data: Record<string, string> };
    expect(configMap.metadata.name).toBe("orders-config");
    expect(configMap.metadata.ownerReferences?.[0]).toMatchObject({ kind: "DatabaseCluster", controller: true });
    expect(configMap.data["my.cnf"]).toContain("[mariadbd]");
    expect(configMap.data["start.sh"]).toMatch(/\nexec .*mariadbd --defaults-file/);
  });
  it("tells the init step whether the cluster was bootstrapped", () => {
    expect((buildConfigMap(testInput()) as unknown as { data: Record<string, string> }).data.bootstrapped).toBe("false");
    expect((buildConfigMap(testInput({}, { bootstrapped: true })) as unknown as { data: Record<string, string> }).data.bootstrapped).toBe("true");
  });
});
