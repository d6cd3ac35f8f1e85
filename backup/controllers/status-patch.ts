import type { KubeClient, KubeObject, ResourceType } from "../../shared/k8s/client.js";
import { mergePatchBetween, statusEquals, toJson } from "../../shared/k8s/status.js";

type JsonObject = Parameters<typeof mergePatchBetween>[0];

/**
 * Writes status as a merge patch against the status this reconcile read, guarded by its
 * resourceVersion. Agents patch the same status (progress, results): on a conflict this
 * throws, and the work queue reconciles again from a fresh read, instead of retrying with a
 * stale desired status that would undo what the agent wrote.
 */
export async function patchStatus(client: KubeClient, type: ResourceType, object: KubeObject, status: object): Promise<boolean> {
  const before = (toJson(object.status ?? {}) ?? {}) as JsonObject;
  const desired = (toJson(status) ?? {}) as JsonObject;
  if (statusEquals(before, desired)) return false;
  await client.mergePatch(type, object.metadata.namespace, object.metadata.name, { metadata: { resourceVersion: object.metadata.resourceVersion }, status: mergePatchBetween(before, desired) }, { subresource: "status" });
  return true;
}
