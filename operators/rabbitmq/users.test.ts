import { describe, expect, it } from "vitest";
import { hashPassword, passwordMatches } from "./users.js";

describe("RabbitMQ password hashes", () => {
  // Exported by rabbitmq-server 3.10.8 for a user created with password "bobpw".
  const recorded = "A8NAaCVfX+g8Otv8SmYAxK/yB/wTlr0ueK92Wpf3Kbz8X27f";

  it("verifies a hash the server made", () => {
    expect(passwordMatches(recorded, "bobpw")).toBe(true);
    expect(passwordMatches(recorded, "bobpw2")).toBe(false);
  });

  it("makes hashes the same way (4-byte salt, sha256 of salt and password)", () => {
    const salt = Buffer.from(recorded, "base64").subarray(0, 4);
    expect(hashPassword("bobpw", "rabbit_password_hashing_sha256", salt)).toBe(recorded);
    const fresh = hashPassword("x");
    expect(passwordMatches(fresh, "x")).toBe(true);
    expect(passwordMatches(hashPassword("x", "rabbit_password_hashing_sha512"), "x", "rabbit_password_hashing_sha512")).toBe(true);
  });

  it("does not match an algorithm it does not know, or garbage", () => {
    expect(passwordMatches(recorded, "bobpw", "rabbit_password_hashing_bcrypt")).toBe(false);
    expect(passwordMatches("", "bobpw")).toBe(false);
  });
});
