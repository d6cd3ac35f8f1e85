import { describe, expect, it } from "vitest";
import { credentialsSecretOptions, passwordsFrom } from "./credentials-secret.js";
import { testInput } from "./test-input.js";

describe("credentialsSecretOptions", () => {
  const options = credentialsSecretOptions(testInput());

  it("names <cluster>-credentials in the cluster's namespace, owned by it", () => {
    expect(options).toMatchObject({ name: "cache-credentials", namespace: "shop" });
    expect(options.owner?.metadata.uid).toBe("1234-5678");
  });

  it("generates a different strong password per user on every call", () => {
    const first = options.generate();
    const second = options.generate();
    expect(Object.keys(first).sort()).toEqual(["app", "operator", "replication"]);
    for (const value of Object.values(first)) expect(value).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(first.app).not.toBe(second.app);
    expect(new Set(Object.values(first)).size).toBe(3);
  });

  it("reads the passwords back, naming what is missing", () => {
    expect(passwordsFrom({ operator: "o", replication: "r", app: "a" })).toEqual({ operator: "o", replication: "r", app: "a" });
    expect(() => passwordsFrom({ operator: "o" })).toThrow(/lacks replication, app/);
  });
});
