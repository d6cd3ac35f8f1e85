import { createHash } from "node:crypto";
import { ANNOTATIONS, OWNED_LABELS } from "../api/names.js";
import type { KubeClient, KubeObject } from "./client.js";
import { knownResourceType } from "./resources.js";
import type { ObjectCache } from "../runtime/informer-factory.js";

type Json = unknown;

function canonical(value: Json): Json {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((key) => (value as Record<string, Json>)[key] !== undefined)
        .map((key) => [key, canonical((value as Record<string, Json>)[key])]),
    );
  }
  return value;
}

/** A hash of the desired object as Steward states it (key order and undefined fields do not count). */
export function appliedHash(object: KubeObject): string {
  const { [ANNOTATIONS.appliedHash]: _previous, ...annotations } = object.metadata.annotations ?? {};
  const stated = { ...object, metadata: { ...object.metadata, annotations } };
  return createHash("sha256").update(JSON.stringify(canonical(stated))).digest("hex").slice(0, 32);
}

/** The desired object with its hash annotation, as applied. */
export function withAppliedHash(object: KubeObject): KubeObject {
  return { ...object, metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, [ANNOTATIONS.appliedHash]: appliedHash(object) } } };
}

/**
 * Whether every field the desired object states has the same value in the live one (the server
 * adds defaults and other managers' fields; those do not count). A Secret's stringData is
 * compared with its base64 data, which is all the server keeps.
 */
export function statesSameAs(desired: Json, live: Json): boolean {
  if (Array.isArray(desired)) {
    return Array.isArray(live) && desired.length === live.length && desired.every((item, index) => statesSameAs(item, live[index]));
  }
  if (desired && typeof desired === "object") {
    if (!live || typeof live !== "object" || Array.isArray(live)) return false;
    const liveRecord = live as Record<string, Json>;
    return Object.entries(desired).every(([key, value]) => value === undefined || statesSameAs(value, liveRecord[key]));
  }
  return desired === live;
}

function withStringDataEncoded(object: KubeObject): KubeObject {
  const stringData = object.stringData as Record<string, string> | undefined;
  if (object.kind !== "Secret" || !stringData) return object;
  const { stringData: _stringData, ...rest } = object;
  const encoded = Object.fromEntries(Object.entries(stringData).map(([key, value]) => [key, Buffer.from(value).toString("base64")]));
  return { ...rest, data: { ...(object.data as Record<string, string> | undefined), ...encoded } };
}

/**
 * Whether the cached live object already is what applying `desired` would make it: the hash
 * annotation Steward wrote last time matches (so no field was dropped from the desired object)
 * and every stated field holds its value (so nobody changed one since; a value the server
 * normalises, like a quantity, just means one more apply).
 */
export function isUpToDate(desired: KubeObject, live: KubeObject | undefined): boolean {
  if (!live || live.metadata.deletionTimestamp) return false;
  const hashed = withAppliedHash(desired);
  if (live.metadata.annotations?.[ANNOTATIONS.appliedHash] !== hashed.metadata.annotations?.[ANNOTATIONS.appliedHash]) return false;
  return statesSameAs(withStringDataEncoded(hashed), live);
}

export interface ApplyCounter {
  applied: number;
  skipped: number;
}

/**
 * Server-side apply, unless the shared informer cache shows the object already as desired:
 * an idle reconcile of a thousand clusters then writes nothing. An object the cache does not
 * hold (not created yet, deleted, or an object from before the owned label that the selector
 * does not show) is applied, which also adopts it: the apply puts the label and the hash on.
 * Every object it applies carries OWNED_LABELS. Returns whether it applied.
 */
export async function applyIfChanged(client: KubeClient, cache: ObjectCache | undefined, object: KubeObject, counter?: ApplyCounter): Promise<boolean> {
  // The owned label is what the operator's watches select on: an object without it would change unseen.
  const desired = { ...object, metadata: { ...object.metadata, labels: { ...object.metadata.labels, ...OWNED_LABELS } } };
  const type = knownResourceType(desired.apiVersion, desired.kind);
  const live = type && cache ? cache.cached(type, desired.metadata.namespace, desired.metadata.name) : undefined;
  if (isUpToDate(desired, live)) {
    if (counter) counter.skipped++;
    return false;
  }
  await client.apply(withAppliedHash(desired));
  if (counter) counter.applied++;
  return true;
}
