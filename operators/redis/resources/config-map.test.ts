import { describe, expect, it } from "vitest";
import { buildConfigMap } from "./config-map.js";
import { testInput } from "./test-input.js";

describe("buildConfigMap", () => {
  it("ships redis.conf from spec.config under <cluster>-config, with no password in it", () => {
    const configMap = buildConfigMap(testInput({ config: { maxmemory: "64mb" } })) as unknown as { metadata: { name: string; labels: Record<string, string> }; data: Record<string, string> };
    expect(configMap.metadata.name).toBe("cache-config");
    expect(configMap.metadata.labels["steward.dev/engine"]).toBe("redis");
    expect(configMap.data["redis.conf"]).toMatch(/^maxmemory 64mb$/m);
    expect(configMap.data["redis.conf"]).not.toMatch(/masterauth|requirepass|^user /m);
  });
});
