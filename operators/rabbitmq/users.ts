/**
 * RabbitMQ's internal password hashes (rabbit_password_hashing_*): base64 of a 4-byte salt
 * followed by the digest of salt ++ UTF-8 password. The operator verifies a user's hash
 * locally instead of rewriting the user on every reconcile, and a restore computes the hash of
 * the new cluster's administrator for definitions loaded at boot.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

const ALGORITHMS: Record<string, string> = {
  rabbit_password_hashing_sha256: "sha256",
  rabbit_password_hashing_sha512: "sha512",
  rabbit_password_hashing_md5: "md5",
};

export const DEFAULT_HASHING = "rabbit_password_hashing_sha256";

export function hashPassword(password: string, algorithm = DEFAULT_HASHING, salt: Buffer = randomBytes(4)): string {
  const digest = ALGORITHMS[algorithm];
  if (!digest) throw new Error(`unknown password hashing algorithm ${algorithm}`);
  return Buffer.concat([salt, createHash(digest).update(salt).update(password, "utf8").digest()]).toString("base64");
}

/** Whether `password` is the one `hash` was made from (false for an algorithm Steward does not know). */
export function passwordMatches(hash: string, password: string, algorithm = DEFAULT_HASHING): boolean {
  if (!ALGORITHMS[algorithm]) return false;
  const stored = Buffer.from(hash, "base64");
  if (stored.length < 5) return false;
  const computed = Buffer.from(hashPassword(password, algorithm, stored.subarray(0, 4)), "base64");
  return computed.length === stored.length && timingSafeEqual(computed, stored);
}
