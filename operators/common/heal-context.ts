/**
 * What one heal pass of an engine with one primary (MySQL, Redis) works with, whatever the
 * engine: the cluster, and the few writes it makes through the API (pod role labels, cluster
 * annotations, status, Events, the promotion Lease). Each engine's heal-context.ts extends it
 * with its observation and its sessions with instances.
 */
import { LABELS } from "../../shared/api/index.js";
import type { DatabaseClusterStatus } from "../../shared/api/index.js";
import { RESOURCES, isNotFound, type KubeObject } from "../../shared/k8s/client.js";
import type { EngineContext } from "../engine.js";
import { PromotionLease, withPromotionLease } from "./promotion-lease.js";

/**
 * The cluster annotation that keeps the failover clock across operator restarts: when the
 * primary was first seen unhealthy (the value starts with `<primary>@<ISO time>`; each engine's
 * heal.ts writes and reads the rest).
 */
export const UNHEALTHY_SINCE_ANNOTATION = "steward.dev/primary-unhealthy-since";

export interface HealNames {
  cluster: string;
  namespace: string;
  /** The cluster's promotion Lease (see promotion-lease.ts). */
  promotionLease: string;
}

export interface LeaseSettings {
  /** Who holds the Lease for this operator process. */
  holder: string;
  /** When another holder has it, come back after this long. */
  retryMs: number;
}

export abstract class ClusterHealContext<Names extends HealNames = HealNames> {
  /** Status fields this pass sets (returned to the controller, which writes them). */
  readonly status: Partial<DatabaseClusterStatus> = {};
  /** Something is in motion: come back quickly. */
  busy = false;
  private readonly roles: Map<string, string | undefined>;

  protected constructor(
    readonly context: EngineContext,
    readonly names: Names,
    private readonly lease: LeaseSettings,
    /** Each observed pod's role label, as observation read it. */
    roles: Iterable<[string, string | undefined]>,
  ) {
    this.roles = new Map(roles);
  }

  get spec() {
    return this.context.spec;
  }

  get cluster() {
    return this.context.cluster;
  }

  get clusterObject(): KubeObject {
    return this.context.cluster as unknown as KubeObject;
  }

  get log() {
    return this.context.log;
  }

  now(): Date {
    return this.context.now();
  }

  /** Sets (or with undefined removes) a pod's role label; no write when it already is so. */
  async setRole(pod: string, role: string | undefined): Promise<void> {
    if (this.roles.get(pod) === role) return;
    try {
      await this.context.client.mergePatch(RESOURCES.Pod, this.names.namespace, pod, { metadata: { labels: { [LABELS.role]: role ?? null } } });
      this.roles.set(pod, role);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      this.roles.set(pod, undefined);
    }
  }

  roleOf(pod: string): string | undefined {
    return this.roles.get(pod);
  }

  /** Pods and their role labels as this pass knows them. */
  roleLabels(): [string, string | undefined][] {
    return [...this.roles];
  }

  async annotateCluster(annotations: Record<string, string | null>): Promise<void> {
    await this.context.client.mergePatch(RESOURCES.DatabaseCluster, this.names.namespace, this.names.cluster, { metadata: { annotations } });
  }

  /** Writes status fields at once (crash safety: the next reconcile must see them even if this one dies). */
  async persistStatus(fields: Partial<DatabaseClusterStatus>): Promise<void> {
    Object.assign(this.status, fields);
    const patch = Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, value === undefined ? null : value]));
    await this.context.client.mergePatch(RESOURCES.DatabaseCluster, this.names.namespace, this.names.cluster, { status: patch }, { subresource: "status" });
  }

  async normal(reason: string, message: string): Promise<void> {
    this.log.info({ reason }, message);
    await this.context.events.normal(this.clusterObject, reason, message);
  }

  async warning(reason: string, message: string): Promise<void> {
    this.log.warn({ reason }, message);
    await this.context.events.warning(this.clusterObject, reason, message);
  }

  /** Deletes a pod, only the incarnation observed when its uid is known (never a replacement created meanwhile). */
  async deletePod(pod: string, uid: string | undefined): Promise<void> {
    await this.context.client.delete(RESOURCES.Pod, this.names.namespace, pod, uid ? { uid } : {});
  }

  /** Runs `action` holding the cluster's promotion Lease (NextLoop when another holder has it). */
  withLease<T>(action: () => Promise<T>): Promise<T> {
    const lease = new PromotionLease(this.context.client, this.clusterObject, this.names.namespace, this.names.promotionLease, this.lease.holder);
    return withPromotionLease(lease, this.now(), this.lease.retryMs, this.log, action);
  }
}
