/**
 * The per-cluster coordination.k8s.io Lease that guards a promotion: whoever changes which
 * instance is the primary (failover, switchover) holds it for the duration, so two operator
 * processes (an old leader that has not noticed it lost, and the new one) never promote two
 * instances. Writes carry the resourceVersion read, so two racing takers cannot both win.
 */
import { hostname } from "node:os";
import { RESOURCES, isAlreadyExists, isConflict, type KubeClient, type KubeObject } from "../../shared/k8s/client.js";
import { withOwner } from "../../shared/k8s/owner.js";
import { microTime } from "../../shared/k8s/time.js";
import type { Logger } from "../../shared/log.js";
import { NextLoop } from "../../shared/runtime/controller.js";

export const PROMOTION_LEASE_SECONDS = 15;

interface LeaseObject extends KubeObject {
  spec?: { holderIdentity?: string | null; leaseDurationSeconds?: number; renewTime?: string | null; acquireTime?: string | null };
}

/** Whether `holder` may take the lease now (pure: free, ours, or expired). */
export function mayTakeLease(spec: LeaseObject["spec"], holder: string, now: Date): boolean {
  if (!spec?.holderIdentity || spec.holderIdentity === holder) return true;
  const renewed = spec.renewTime ? Date.parse(spec.renewTime) : 0;
  return now.getTime() - renewed > (spec.leaseDurationSeconds ?? PROMOTION_LEASE_SECONDS) * 1000;
}

/** Who holds the Lease for this operator process by default: host and pid. */
export function defaultLeaseHolder(): string {
  return `${hostname()}-${process.pid}`;
}

export class PromotionLease {
  constructor(
    private readonly client: KubeClient,
    private readonly owner: KubeObject,
    private readonly namespace: string,
    readonly name: string,
    private readonly holder: string,
  ) {}

  /** Takes (or renews) the lease; returns the holder that has it when it is not free. */
  async acquire(now = new Date()): Promise<{ acquired: true } | { acquired: false; holder: string }> {
    const existing = await this.client.get<LeaseObject>(RESOURCES.Lease, this.namespace, this.name);
    const spec = { holderIdentity: this.holder, leaseDurationSeconds: PROMOTION_LEASE_SECONDS, renewTime: microTime(now), acquireTime: microTime(now) };
    try {
      if (!existing) {
        await this.client.create(withOwner({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: this.name, namespace: this.namespace }, spec }, this.owner));
        return { acquired: true };
      }
      if (!mayTakeLease(existing.spec, this.holder, now)) return { acquired: false, holder: existing.spec?.holderIdentity ?? "someone" };
      if (existing.spec?.holderIdentity === this.holder && existing.spec.acquireTime) spec.acquireTime = existing.spec.acquireTime;
      await this.client.replace({ ...existing, spec });
      return { acquired: true };
    } catch (error) {
      if (isConflict(error) || isAlreadyExists(error)) return { acquired: false, holder: "another operator (it changed the lease first)" };
      throw error;
    }
  }

  /** Frees the lease if we hold it (a failure here only delays the next promotion by the lease time). */
  async release(): Promise<void> {
    const existing = await this.client.get<LeaseObject>(RESOURCES.Lease, this.namespace, this.name);
    if (!existing || existing.spec?.holderIdentity !== this.holder) return;
    try {
      await this.client.replace({ ...existing, spec: { ...existing.spec, holderIdentity: null, renewTime: null } });
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }
}

/**
 * Runs `action` holding the lease and frees it after. When another holder has it, the
 * reconcile ends with NextLoop (retried after `retryMs`): waiting, not failing.
 */
export async function withPromotionLease<T>(lease: PromotionLease, now: Date, retryMs: number, log: Logger, action: () => Promise<T>): Promise<T> {
  const taken = await lease.acquire(now);
  if (!taken.acquired) throw new NextLoop(`the promotion lease ${lease.name} is held by ${taken.holder}`, retryMs);
  try {
    return await action();
  } finally {
    await lease.release().catch((error: unknown) => log.warn({ err: error }, "could not release the promotion lease; it expires by itself"));
  }
}
