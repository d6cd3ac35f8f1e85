import { describe, expect, it } from "vitest";
import { buildAuthSecret } from "./auth-secret.js";
import { TEST_PASSWORDS, testInput } from "./test-input.js";

describe("buildAuthSecret", () => {
  const secret = buildAuthSecret(testInput({ username: "shop" }), TEST_PASSWORDS) as unknown as { metadata: { name: string; ownerReferences: { uid: string }[] }; data: Record<string, string> };
  const users = Buffer.from(secret.data["users.conf"]!, "base64").toString("utf8");

  it("is <cluster>-auth, owned by the cluster", () => {
    expect(secret.metadata.name).toBe("cache-auth");
    expect(secret.metadata.ownerReferences[0]!.uid).toBe("1234-5678");
  });

  it("holds the ACL users for spec.username and masterauth, with no other password in clear", () => {
    expect(users).toMatch(/^user shop on #[0-9a-f]{64} /m);
    expect(users).toContain(`masterauth ${TEST_PASSWORDS.replication}`);
    expect(users).not.toContain(TEST_PASSWORDS.operator);
    expect(users).not.toContain(TEST_PASSWORDS.app);
  });
});
