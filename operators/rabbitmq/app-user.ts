/**
 * The application user of the connection Secret (spec.username, default app): full rights on
 * the default vhost, the `management` tag so it can read its own queues over HTTP. The
 * operator checks the stored hash against the Secret's password locally and writes the user
 * only when it is missing or differs (a restore brought the old cluster's), so an idle
 * reconcile writes nothing.
 */
import type { ManagementClient } from "./client.js";
import { DEFAULT_HASHING, passwordMatches } from "./users.js";

export const APP_VHOST = "/";
export const APP_PERMISSIONS = { configure: ".*", write: ".*", read: ".*" } as const;

/** Says whether it changed anything. */
export async function ensureAppUser(management: ManagementClient, username: string, password: string): Promise<boolean> {
  const user = await management.user(username);
  const current = user !== undefined && passwordMatches(user.password_hash, password, user.hashing_algorithm ?? DEFAULT_HASHING);
  if (current && (await management.hasPermissions(APP_VHOST, username))) return false;
  if (!current) await management.putUser(username, password, ["management"]);
  await management.setPermissions(APP_VHOST, username, APP_PERMISSIONS);
  return true;
}
