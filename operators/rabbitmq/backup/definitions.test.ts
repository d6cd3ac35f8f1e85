import { describe, expect, it } from "vitest";
import { passwordMatches } from "../users.js";
import { canonicalJson, definitionsForRestore, extraneous, parseDefinitions, sectionDigests, type Definitions } from "./definitions.js";

// Shaped as rabbitmq-server 3.10.8 exports them (GET /api/definitions).
const exported: Definitions = parseDefinitions(
  JSON.stringify({
    rabbit_version: "3.10.8",
    rabbitmq_version: "3.10.8",
    users: [
      { name: "steward-admin", password_hash: "4O4t8WbWwDYcLq+u3O9iS84oGAGI8z38kimJX3gYyyY7Yabm", hashing_algorithm: "rabbit_password_hashing_sha256", tags: ["administrator"], limits: {} },
      { name: "bob", password_hash: "A8NAaCVfX+g8Otv8SmYAxK/yB/wTlr0ueK92Wpf3Kbz8X27f", hashing_algorithm: "rabbit_password_hashing_sha256", tags: ["monitoring"], limits: {} },
    ],
    vhosts: [{ name: "shop" }, { name: "/" }],
    permissions: [
      { user: "bob", vhost: "shop", configure: ".*", write: ".*", read: ".*" },
      { user: "steward-admin", vhost: "/", configure: ".*", write: ".*", read: ".*" },
    ],
    topic_permissions: [],
    parameters: [],
    global_parameters: [{ name: "internal_cluster_id", value: "rabbitmq-cluster-id-gxsGL1kO1qfFLPz9gMXi9g" }],
    policies: [{ vhost: "shop", name: "cap", pattern: "^orders", "apply-to": "queues", definition: { "max-length": 1000 }, priority: 1 }],
    queues: [{ name: "orders", vhost: "shop", durable: true, auto_delete: false, arguments: { "x-queue-type": "quorum" } }],
    exchanges: [{ name: "events", vhost: "shop", type: "topic", durable: true, auto_delete: false, internal: false, arguments: {} }],
    bindings: [{ source: "events", vhost: "shop", destination: "orders", destination_type: "queue", routing_key: "order.#", arguments: {} }],
  }),
);

describe("canonical digests", () => {
  it("ignores key order and list order", () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
    const shuffled = { ...exported, vhosts: [...exported.vhosts!].reverse(), users: [...exported.users!].reverse() };
    expect(sectionDigests(shuffled)).toEqual(sectionDigests(exported));
  });

  it("gives one digest per section, without the cluster's own id and the excluded users", () => {
    const digests = sectionDigests(exported, { excludeUsers: ["steward-admin"] });
    expect(digests.map((d) => d.section)).toEqual(["users", "vhosts", "permissions", "topic_permissions", "parameters", "global_parameters", "policies", "queues", "exchanges", "bindings"]);
    expect(digests.find((d) => d.section === "users")!.count).toBe(1);
    expect(digests.find((d) => d.section === "global_parameters")!.count).toBe(0);
    const otherAdmin = { ...exported, users: exported.users!.map((u) => (u.name === "steward-admin" ? { ...u, password_hash: "other" } : u)) };
    expect(sectionDigests(otherAdmin, { excludeUsers: ["steward-admin"] })).toEqual(digests);
  });

  it("changes when a password hash changes (a user could not log in with the old password)", () => {
    const changed = { ...exported, users: exported.users!.map((u) => (u.name === "bob" ? { ...u, password_hash: "x" } : u)) };
    expect(sectionDigests(changed)[0]!.digest).not.toBe(sectionDigests(exported)[0]!.digest);
  });
});

describe("definitionsForRestore", () => {
  it("online: keeps the running administrator's password (and its permissions), drops the source cluster's id", () => {
    const restored = definitionsForRestore(exported, { keepUser: "steward-admin" });
    expect(restored.users!.map((u) => u.name)).toEqual(["bob"]);
    expect(restored.permissions).toHaveLength(2);
    expect(restored.global_parameters).toEqual([]);
  });

  it("at boot: writes the new administrator in with its new password and rights on every vhost", () => {
    const restored = definitionsForRestore(exported, { admin: { username: "steward-admin", password: "new-secret" } });
    const admin = restored.users!.find((u) => u.name === "steward-admin")!;
    expect(passwordMatches(String(admin.password_hash), "new-secret")).toBe(true);
    expect(admin.tags).toEqual(["administrator"]);
    expect(restored.permissions!.filter((p) => p.user === "steward-admin").map((p) => p.vhost)).toEqual(["/", "shop"]);
    expect(restored.users!.find((u) => u.name === "bob")!.password_hash).toBe("A8NAaCVfX+g8Otv8SmYAxK/yB/wTlr0ueK92Wpf3Kbz8X27f");
  });
});

describe("extraneous (in-place restores)", () => {
  it("lists what the target has and the backup does not, vhost contents once", () => {
    const current: Definitions = {
      ...exported,
      users: [...exported.users!, { name: "eve" }],
      vhosts: [...exported.vhosts!, { name: "scratch" }],
      queues: [...exported.queues!, { name: "tmp", vhost: "shop" }, { name: "x", vhost: "scratch" }],
      policies: [],
      exchanges: [...exported.exchanges!, { name: "old", vhost: "/" }],
    };
    expect(extraneous(current, exported, ["steward-admin"])).toEqual({
      vhosts: ["scratch"],
      users: ["eve"],
      policies: [],
      queues: [{ vhost: "shop", name: "tmp" }],
      exchanges: [{ vhost: "/", name: "old" }],
    });
  });
});

describe("parseDefinitions", () => {
  it("names what is wrong with a file that is not definitions", () => {
    expect(() => parseDefinitions("{")).toThrow(/not JSON/);
    expect(() => parseDefinitions(JSON.stringify({ users: "x" }))).toThrow();
  });
});
