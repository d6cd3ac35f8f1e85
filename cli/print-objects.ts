import { stringify } from "yaml";

// Apart from output.ts so that every process (the in-pod agent too) does not load the yaml library.

/** As kubectl prints it: without managedFields (noise for a reader, and for anything applying it back). */
export function forPrinting<T extends { metadata?: object }>(object: T): T {
  if (!object.metadata || !("managedFields" in object.metadata)) return object;
  const { managedFields: _dropped, ...metadata } = object.metadata as Record<string, unknown>;
  return { ...object, metadata };
}

/** json or yaml of one object, or of several as a v1 List (what `kubectl get -o json` prints). */
export function renderObjects(format: "json" | "yaml", objects: readonly object[] | object): string {
  const value = Array.isArray(objects) ? { apiVersion: "v1", kind: "List", items: objects.map((object) => forPrinting(object as { metadata?: object })), metadata: { resourceVersion: "" } } : forPrinting(objects as { metadata?: object });
  return format === "json" ? JSON.stringify(value, null, 2) : stringify(value);
}
