/** Reading and writing a spec by dotted path ("backup.schedule"), and flattening one to its leaves. */

export type SpecObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is SpecObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export function getPath(object: SpecObject, path: string): unknown {
  let node: unknown = object;
  for (const key of path.split(".")) {
    if (!isPlainObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

export function setPath(object: SpecObject, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = object;
  for (const key of keys.slice(0, -1)) {
    if (!isPlainObject(node[key])) node[key] = {};
    node = node[key] as SpecObject;
  }
  node[keys.at(-1)!] = value;
}

/** Removes the value at `path` and any object it leaves empty. */
export function deletePath(object: SpecObject, path: string): void {
  const keys = path.split(".");
  const parents: SpecObject[] = [object];
  for (const key of keys.slice(0, -1)) {
    const next = parents.at(-1)![key];
    if (!isPlainObject(next)) return;
    parents.push(next);
  }
  delete parents.at(-1)![keys.at(-1)!];
  for (let i = parents.length - 1; i > 0; i--) {
    if (Object.keys(parents[i]!).length === 0) delete parents[i - 1]![keys[i - 1]!];
  }
}

/** Leaf values by path; arrays are leaves (a template replaces a list, it does not merge it). */
export function flattenLeaves(object: SpecObject, prefix = ""): Map<string, unknown> {
  const leaves = new Map<string, unknown>();
  for (const [key, value] of Object.entries(object)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(value)) for (const [inner, leaf] of flattenLeaves(value, path)) leaves.set(inner, leaf);
    else if (value !== undefined) leaves.set(path, value);
  }
  return leaves;
}

/** `over` merged into a copy of `base`: objects merge key by key, anything else replaces. */
export function deepMerge(base: SpecObject, over: SpecObject): SpecObject {
  const out: SpecObject = structuredClone(base);
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    out[key] = isPlainObject(value) && isPlainObject(out[key]) ? deepMerge(out[key], value) : structuredClone(value);
  }
  return out;
}

export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
