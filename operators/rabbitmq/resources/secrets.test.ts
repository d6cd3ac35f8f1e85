import { describe, expect, it } from "vitest";
import { testCluster } from "../test-cluster.js";
import { buildDefaultUserConf } from "../config.js";
import { cookieSecretOptions, credentialRepairs, credentialsFrom, credentialsSecretOptions } from "./secrets.js";

describe("credentials", () => {
  it("generates the admin and app passwords, the agent token and the default-user fragment that matches", () => {
    const options = credentialsSecretOptions(testCluster());
    expect(options.name).toBe("orders-credentials");
    const values = options.generate();
    expect(values["admin-password"]).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(values["agent-token"]).toHaveLength(48);
    expect(values["default_user.conf"]).toBe(buildDefaultUserConf(values["admin-password"]!));
    expect(credentialRepairs(values)).toEqual({});
    expect(credentialsFrom(values)["app-password"]).toBe(values["app-password"]);
  });

  it("repairs a default-user fragment that does not carry the stored password", () => {
    expect(credentialRepairs({ "admin-password": "a", "default_user.conf": "stale" })).toEqual({ "default_user.conf": buildDefaultUserConf("a") });
  });

  it("says which keys a hand-made Secret lacks", () => {
    expect(() => credentialsFrom({ "admin-password": "a" })).toThrow(/lacks app-password, agent-token, default_user.conf/);
  });

  it("keeps the Erlang cookie in a Secret of its own", () => {
    const options = cookieSecretOptions(testCluster());
    expect(options.name).toBe("orders-erlang-cookie");
    expect(options.generate()[".erlang.cookie"]).toMatch(/^[A-Za-z0-9]{64}$/);
  });
});
