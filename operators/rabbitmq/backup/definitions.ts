/**
 * RabbitMQ definitions (GET /api/definitions) as data: the sections a backup holds, a
 * canonical digest per section so a restore can be compared with its source, and the changes
 * a restore makes before loading them. Pure functions, table-tested.
 *
 * Messages are not definitions: a backup holds the broker's topology and users, never the
 * messages in its queues.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { DEFAULT_HASHING, hashPassword } from "../users.js";

export const SECTIONS = ["users", "vhosts", "permissions", "topic_permissions", "parameters", "global_parameters", "policies", "queues", "exchanges", "bindings"] as const;
export type Section = (typeof SECTIONS)[number];

/** Global parameters that belong to one cluster and must not be copied into another. */
export const CLUSTER_OWN_PARAMETERS = ["internal_cluster_id", "cluster_name"] as const;

const item = z.record(z.string(), z.unknown());
export const definitionsSchema = z.looseObject(Object.fromEntries(SECTIONS.map((section) => [section, z.array(item).optional()])) as Record<Section, z.ZodOptional<z.ZodArray<typeof item>>>);
export type Definitions = z.infer<typeof definitionsSchema> & { rabbitmq_version?: string; rabbit_version?: string };

export function parseDefinitions(text: string): Definitions {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`the definitions are not JSON: ${(error as Error).message}`, { cause: error });
  }
  return definitionsSchema.parse(value) as Definitions;
}

/** JSON with object keys sorted at every level: equal data gives equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export interface DigestOptions {
  /** Users left out of the users and permissions sections (those each cluster manages itself). */
  excludeUsers?: string[];
}

function withoutClusterOwn(definitions: Definitions, excludeUsers: string[]): Definitions {
  const users = new Set(excludeUsers);
  const byUser = (entry: Record<string, unknown>) => !users.has(String(entry.user));
  return {
    ...definitions,
    users: definitions.users?.filter((entry) => !users.has(String(entry.name))),
    permissions: definitions.permissions?.filter(byUser),
    topic_permissions: definitions.topic_permissions?.filter(byUser),
    global_parameters: definitions.global_parameters?.filter((entry) => !(CLUSTER_OWN_PARAMETERS as readonly string[]).includes(String(entry.name))),
  };
}

/**
 * One sha256 per section over its entries in canonical form, sorted, so that two clusters with
 * the same definitions give the same digests whatever order their servers list them in.
 * A user's digest covers its password hash: a restored user can log in with its old password
 * exactly when the hashes are equal.
 */
export function sectionDigests(definitions: Definitions, options: DigestOptions = {}): { section: Section; digest: string; count: number }[] {
  const kept = withoutClusterOwn(definitions, options.excludeUsers ?? []);
  return SECTIONS.map((section) => {
    const entries = (kept[section] ?? []).map(canonicalJson).sort();
    const digest = createHash("sha256").update(entries.join("\n")).digest("hex");
    return { section, digest: `sha256:${digest}`, count: entries.length };
  });
}

export function describeDefinitions(definitions: Definitions): string {
  const count = (section: Section) => definitions[section]?.length ?? 0;
  return `${count("users")} users, ${count("vhosts")} vhosts, ${count("policies")} policies, ${count("exchanges")} exchanges, ${count("queues")} queues, ${count("bindings")} bindings (RabbitMQ ${definitions.rabbitmq_version ?? definitions.rabbit_version ?? "?"})`;
}

export interface AdminUser {
  username: string;
  password: string;
}

/**
 * The definitions a restore loads: without the source cluster's own global parameters, and
 * with `keepUser` (the target's running administrator) left out so loading cannot change its
 * password, or with `admin` written in with its new password (definitions loaded at boot
 * replace the default user, so the new cluster's administrator must be in them).
 */
export function definitionsForRestore(definitions: Definitions, options: { keepUser?: string; admin?: AdminUser }): Definitions {
  const restored = withoutClusterOwn(definitions, []);
  // The kept user's permissions stay: with the same name, they are the ones it had in the source.
  if (options.keepUser) restored.users = restored.users?.filter((entry) => entry.name !== options.keepUser);
  if (options.admin) {
    const { username, password } = options.admin;
    restored.users = restored.users?.filter((entry) => entry.name !== username);
    restored.permissions = restored.permissions?.filter((entry) => entry.user !== username);
    restored.users = [...(restored.users ?? []), { name: username, password_hash: hashPassword(password), hashing_algorithm: DEFAULT_HASHING, tags: ["administrator"], limits: {} }];
    const vhosts = new Set((restored.vhosts ?? []).map((entry) => String(entry.name)));
    if (!vhosts.has("/")) restored.vhosts = [...(restored.vhosts ?? []), { name: "/" }];
    vhosts.add("/");
    restored.permissions = [...(restored.permissions ?? []), ...[...vhosts].sort().map((vhost) => ({ user: username, vhost, configure: ".*", write: ".*", read: ".*" }))];
  }
  return restored;
}

export interface RemovalPlan {
  vhosts: string[];
  users: string[];
  policies: { vhost: string; name: string }[];
  queues: { vhost: string; name: string }[];
  exchanges: { vhost: string; name: string }[];
}

/**
 * For an in-place restore: what the target has that the backup does not, so that after loading
 * the target equals the backup. Deleting a vhost deletes everything in it, so objects inside a
 * removed vhost are not listed again. `keepUser` (the operator's administrator) is never removed.
 */
export function extraneous(current: Definitions, backup: Definitions, keepUsers: string[]): RemovalPlan {
  const key = (entry: Record<string, unknown>) => `${String(entry.vhost)}\u0000${String(entry.name)}`;
  const backupVhosts = new Set((backup.vhosts ?? []).map((entry) => String(entry.name)));
  const vhosts = (current.vhosts ?? []).map((entry) => String(entry.name)).filter((name) => !backupVhosts.has(name) && name !== "/");
  const gone = new Set(vhosts);
  const inKept = (entry: Record<string, unknown>) => !gone.has(String(entry.vhost));
  const missing = (section: "policies" | "queues" | "exchanges") => {
    const wanted = new Set((backup[section] ?? []).map(key));
    return (current[section] ?? []).filter(inKept).filter((entry) => !wanted.has(key(entry))).map((entry) => ({ vhost: String(entry.vhost), name: String(entry.name) }));
  };
  const backupUsers = new Set((backup.users ?? []).map((entry) => String(entry.name)));
  const users = (current.users ?? []).map((entry) => String(entry.name)).filter((name) => !backupUsers.has(name) && !keepUsers.includes(name));
  return { vhosts, users, policies: missing("policies"), queues: missing("queues"), exchanges: missing("exchanges") };
}
