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

type JsonObject = { [key: string]: Json };

function isConditionList(value: Json | undefined): value is JsonObject[] {
  return Array.isArray(value) && value.every((item) => isJsonObject(item) && typeof item.type === "string");
}

/** Conditions merged by type: the types `base -> desired` changed, carried onto `fresh`. */
function rebaseConditions(base: JsonObject[], desired: JsonObject[], fresh: JsonObject[]): JsonObject[] {
  const byType = (list: JsonObject[]) => new Map(list.map((condition) => [condition.type as string, condition]));
  const [before, after] = [byType(base), byType(desired)];
  const out = [...fresh];
  for (const type of new Set([...before.keys(), ...after.keys()])) {
    const mine = after.get(type);
    if (jsonEqual(before.get(type), mine)) continue;
    const at = out.findIndex((condition) => condition.type === type);
    if (mine === undefined) {
      if (at >= 0) out.splice(at, 1);
    } else if (at >= 0) out[at] = mine;
    else out.push(mine);
  }
  return out;
}

/**
 * A three-way merge: what this writer changed (`base` -> `desired`) applied to what the API
 * server holds now (`fresh`), so a field another writer set meanwhile, and this one never
 * touched, survives. Objects merge by key, condition lists by type; anything else this writer
 * changed is its value. `undefined` is an absent key.
 */
export function rebaseStatus(base: Json | undefined, desired: Json | undefined, fresh: Json | undefined): Json | undefined {
  if (jsonEqual(base, desired)) return fresh;
  if (isConditionList(base) && isConditionList(desired) && isConditionList(fresh)) return rebaseConditions(base, desired, fresh);
  if (isConditionList(desired) && isConditionList(fresh) && base === undefined) return rebaseConditions([], desired, fresh);
  if (!isJsonObject(desired) || !isJsonObject(fresh) || (base !== undefined && !isJsonObject(base))) return desired;
  const before: JsonObject = base ?? {};
  const out: JsonObject = { ...fresh };
  for (const key of new Set([...Object.keys(before), ...Object.keys(desired)])) {
    const merged = rebaseStatus(before[key], desired[key], fresh[key]);
    if (merged === undefined) delete out[key];
    else out[key] = merged;
  }
  return out;
}

const MAX_ATTEMPTS = 5;

/**
 * Writes `status` (the whole of it) through /status when it differs from the object's, and
 * says whether it wrote; fields absent from `status` are removed. The patch carries the
 * resourceVersion the comparison was made against. When someone else wrote the status
 * meanwhile (a conflict), the object is read again and only what this writer changed from the
 * copy it was given is carried onto the fresh status (rebaseStatus): another controller's
 * fields (the backup policy's lastBackup, nextBackup, pointInTime) are never written back from
 * a stale copy.
 */
export async function writeStatusIfChanged<T extends KubeObject>(client: KubeClient, type: ResourceType, object: T, status: Record<string, unknown>): Promise<boolean> {
  const intended = toJson(status);
  if (!isJsonObject(intended)) throw new Error("status must be an object");
  const base = toJson(object.status ?? {});
  const { namespace, name } = object.metadata;
  let current: KubeObject = object;
  for (let attempt = 1; ; attempt++) {
    const before = toJson(current.status ?? {});
    const desired = current === object ? intended : (rebaseStatus(base, intended, before) ?? {});
    if (jsonEqual(before, desired)) return false;
    const patch = {
      metadata: { resourceVersion: current.metadata.resourceVersion },
      status: isJsonObject(before) && isJsonObject(desired) ? mergePatchBetween(before, desired) : desired,
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
