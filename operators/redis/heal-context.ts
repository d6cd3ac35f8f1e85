/**
 * What one heal pass of a Redis cluster works with: the cluster, the observation, sessions
 * with instances, and the few writes it makes through the API (pod role labels, cluster
 * annotations, status, Events). Shared by heal.ts, promotion.ts and maintenance.ts.
 */
import { LABELS } from "../../shared/api/index.js";
import type { DatabaseClusterStatus } from "../../shared/api/index.js";
import { RESOURCES, isNotFound, type KubeObject } from "../../shared/k8s/client.js";
import { NextLoop } from "../../shared/runtime/controller.js";
import type { EngineContext } from "../engine.js";
import { PromotionLease } from "../mysql/promotion-lease.js";
import { RedisSession, describeError } from "./client.js";
import type { RedisEngine, RedisObservation, RedisPrepared } from "./engine.js";
import { ROLE_PRIMARY, redisNames, type RedisNames } from "./names.js";
import type { InstanceReading } from "./observe.js";
import type { RedisInstanceView } from "./planner.js";

export class RedisHealContext {
  readonly names: RedisNames;
  /** Status fields this pass sets (returned to the controller, which writes them). */
  readonly status: Partial<DatabaseClusterStatus> = {};
  /** Something is in motion: come back quickly. */
  busy = false;
  private readonly roles = new Map<string, string | undefined>();
  private readonly viewsByName: Map<string, RedisInstanceView>;
  private readonly readingsByName: Map<string, InstanceReading>;

  constructor(
    readonly engine: RedisEngine,
    readonly context: EngineContext,
    readonly prepared: RedisPrepared,
    readonly observation: RedisObservation,
  ) {
    this.names = redisNames(context.cluster);
    this.viewsByName = new Map(observation.views.map((view) => [view.name, view]));
    this.readingsByName = new Map(observation.readings.map((reading) => [reading.name, reading]));
    for (const view of observation.views) this.roles.set(view.name, view.label);
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

  view(name: string | undefined): RedisInstanceView | undefined {
    return name ? this.viewsByName.get(name) : undefined;
  }

  views(): RedisInstanceView[] {
    return this.observation.views;
  }

  reading(name: string): InstanceReading | undefined {
    return this.readingsByName.get(name);
  }

  /** The address replicas use for an instance (its pod's DNS name, never a Service). */
  hostOf(pod: string): string {
    return this.engine.podAddress(this.names.namespace, this.names.cluster, pod);
  }

  open(pod: string): Promise<RedisSession> {
    return RedisSession.open(pod, this.engine.endpoint(this.context, this.prepared, pod));
  }

  async withSession<T>(pod: string, action: (session: RedisSession) => Promise<T>): Promise<T> {
    const session = await this.open(pod);
    try {
      return await action(session);
    } finally {
      session.destroy();
    }
  }

  /** Like withSession, for instances that may be dead: the error comes back as text. */
  async trySession<T>(pod: string, action: (session: RedisSession) => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
    try {
      return { ok: true, value: await this.withSession(pod, action) };
    } catch (error) {
      return { ok: false, error: describeError(error) };
    }
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

  /** Removes the primary label from every other pod before putting it on `pod` (never two behind the Service). */
  async labelPrimary(pod: string): Promise<void> {
    for (const [other, role] of this.roles) if (other !== pod && role === ROLE_PRIMARY) await this.setRole(other, undefined);
    await this.setRole(pod, ROLE_PRIMARY);
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

  /** Runs `action` holding the cluster's promotion Lease (NextLoop when another holder has it). */
  async withLease<T>(action: () => Promise<T>): Promise<T> {
    const lease = new PromotionLease(this.context.client, this.clusterObject, this.names.namespace, this.names.promotionLease, this.engine.identity);
    const taken = await lease.acquire(this.now());
    if (!taken.acquired) throw new NextLoop(`the promotion lease ${this.names.promotionLease} is held by ${taken.holder}`, 500);
    try {
      return await action();
    } finally {
      await lease.release().catch((error: unknown) => this.log.warn({ err: error }, "could not release the promotion lease; it expires by itself"));
    }
  }
}
