/**
 * Volumes only grow (CEL refuses shrinking): each claim smaller than spec.storage.size gets its
 * request patched (the storage class must allow expansion). The StatefulSet's claim template
 * cannot change in place; it keeps the size it was created with.
 */
import { RESOURCES, type KubeObject } from "../../shared/k8s/client.js";
import { describeError } from "./errors.js";
import type { ClusterHealContext } from "./heal-context.js";
import { quantityBytes } from "./quantity.js";

export interface ClaimState {
  name: string;
  requested?: string;
}

/** Claims whose request is smaller than `size` (a claim without a readable request is left alone). */
export function claimsToGrow(claims: ClaimState[], size: string): string[] {
  const wanted = quantityBytes(size);
  if (wanted === undefined) return [];
  return claims
    .filter((claim) => {
      const current = claim.requested ? quantityBytes(claim.requested) : undefined;
      return current !== undefined && current < wanted;
    })
    .map((claim) => claim.name);
}

export interface ClaimObject extends KubeObject {
  spec?: { resources?: { requests?: { storage?: string } } };
}

/**
 * Grows the data claims of `ordinals` to spec.storage.size, with a VolumeGrown Event each; a
 * claim that cannot grow is reported (`report`) and retried on the next pass. Looks at the
 * claims only while the claim template asks for less than the spec (the usual case: no reads).
 * Returns how many claims were below the size, or undefined when the template already asks for it.
 */
export async function growDataClaims(heal: ClusterHealContext, templateSize: string | undefined, claimName: (ordinal: number) => string, ordinals: number[], report: (message: string) => void): Promise<number | undefined> {
  const size = String(heal.spec.storage.size);
  if (!templateSize || claimsToGrow([{ name: "template", requested: templateSize }], size).length === 0) return undefined;
  const claims: ClaimObject[] = [];
  for (const ordinal of ordinals) {
    const claim = await heal.context.client.get<ClaimObject>(RESOURCES.PersistentVolumeClaim, heal.names.namespace, claimName(ordinal));
    if (claim) claims.push(claim);
  }
  const grow = claimsToGrow(
    claims.map((claim) => ({ name: claim.metadata.name, requested: claim.spec?.resources?.requests?.storage })),
    size,
  );
  for (const name of grow) {
    try {
      await heal.context.client.mergePatch(RESOURCES.PersistentVolumeClaim, heal.names.namespace, name, { spec: { resources: { requests: { storage: size } } } });
      await heal.normal("VolumeGrown", `Requested ${size} for ${name}`);
    } catch (error) {
      report(`Could not grow ${name} to ${size}: ${describeError(error)} (the storage class must allow volume expansion)`);
    }
  }
  return grow.length;
}
