import { isConflict, type KubeClient, type KubeObject, type ResourceType } from "./client.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The value as the API server would store it: undefined-valued keys gone, dates as strings. */
export function toJson(value: unknown): Json {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as Json);
}

function isJsonObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Structural equality of JSON values: key order does not matter, array order does. */
export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, index) => jsonEqual(item, b[index]));
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => key in b && jsonEqual(a[key], b[key]));
  }
  return false;
}

/** Whether two statuses say the same, ignoring key order and keys whose value is undefined. */
export function statusEquals(a: unknown, b: unknown): boolean {
  return jsonEqual(toJson(a ?? {}), toJson(b ?? {}));
}

/** The RFC 7386 merge patch that turns `current` into `desired`: removed keys become null. */
export function mergePatchBetween(current: { [key: string]: Json }, desired: { [key: string]: Json }): { [key: string]: Json } {
  const patch: { [key: string]: Json } = {};
  for (const key of Object.keys(current)) if (!(key in desired)) patch[key] = null;
  for (const [key, value] of Object.entries(desired)) {
    const before = current[key];
    if (jsonEqual(before, value)) continue;
    patch[key] = isJsonObject(before) && isJsonObject(value) ? mergePatchBetween(before, value) : value;
  }
  return patch;
}

const MAX_ATTEMPTS = 5;

/**
 * Writes `status` (the whole of it) through /status when it differs from the object's, and
 * says whether it wrote. The patch carries the resourceVersion the comparison was made
 * against, so a status someone else changed meanwhile is re-read and compared again rather
 * than overwritten blindly; fields absent from `status` are removed.
 */
export async function writeStatusIfChanged<T extends KubeObject>(client: KubeClient, type: ResourceType, object: T, status: Record<string, unknown>): Promise<boolean> {
  const desired = toJson(status);
  if (!isJsonObject(desired)) throw new Error("status must be an object");
  const { namespace, name } = object.metadata;
  let current: KubeObject = object;
  for (let attempt = 1; ; attempt++) {
    const before = toJson(current.status ?? {});
    if (jsonEqual(before, desired)) return false;
    const patch = {
      metadata: { resourceVersion: current.metadata.resourceVersion },
      status: isJsonObject(before) ? mergePatchBetween(before, desired) : desired,
    };
    try {
      await client.mergePatch(type, namespace, name, patch, { subresource: "status" });
      return true;
    } catch (error) {
      if (!isConflict(error) || attempt >= MAX_ATTEMPTS) throw error;
      const fresh = await client.get(type, namespace, name);
      // Deleted meanwhile: there is no status left to write.
      if (!fresh) return false;
      current = fresh;
    }
  }
}
