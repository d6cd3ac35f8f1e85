import type { KubeObject, OwnerReference } from "./client.js";

/**
 * A reference from a child to the object that owns it, so the garbage collector removes
 * the child with its owner and the owner's controller is woken by the child's changes.
 */
export function ownerReference(owner: KubeObject, options: { controller?: boolean; blockOwnerDeletion?: boolean } = {}): OwnerReference {
  const uid = owner.metadata.uid;
  // Without the uid the reference would be refused (or, worse, match a recreated namesake).
  if (!uid) throw new Error(`${owner.kind} ${owner.metadata.name} has no uid yet: read it from the API server before owning objects with it`);
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid,
    controller: options.controller ?? true,
    blockOwnerDeletion: options.blockOwnerDeletion ?? true,
  };
}

/** A copy of the object that also names the owner (once, however often it is called). */
export function withOwner<T extends KubeObject>(object: T, owner: KubeObject): T {
  const reference = ownerReference(owner);
  const existing = object.metadata.ownerReferences ?? [];
  if (existing.some((candidate) => candidate.uid === reference.uid)) return object;
  // An object may have only one controller; a second owner joins as a plain owner.
  const controller = existing.some((candidate) => candidate.controller) ? { ...reference, controller: false } : reference;
  return { ...object, metadata: { ...object.metadata, ownerReferences: [...existing, controller] } };
}

export function controllerOf(object: KubeObject): OwnerReference | undefined {
  return object.metadata.ownerReferences?.find((reference) => reference.controller === true);
}
