import { describe, expect, it } from "vitest";
import { credentialsFrom, credentialsSecretOptions } from "./credentials-secret.js";
import { testInput } from "./test-cluster.js";

describe("credentials Secret", () => {
  it("generates every password and the agent token, distinct and long", () => {
    const options = credentialsSecretOptions(testInput());
    expect(options.name).toBe("orders-credentials");
    expect(options.owner?.metadata.uid).toBe("7d3f0c1e-0000-4000-8000-000000000001");
    const values = options.generate();
    expect(Object.keys(values).sort()).toEqual(["agent", "app", "monitor", "replication", "root"]);
    expect(new Set(Object.values(values)).size).toBe(5);
    for (const value of Object.values(values)) expect(value).toMatch(/^[A-Za-z0-9]{32,}$/);
    expect(options.generate().root).not.toBe(values.root);
  });
  it("says what to do when a key is missing", () => {
    expect(() => credentialsFrom({ root: "x" })).toThrow(/lacks replication, monitor, app, agent/);
  });
});
