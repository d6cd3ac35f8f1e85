/**
 * What one heal pass of a Redis cluster works with: the writes every engine makes
 * (common/heal-context.ts), the observation and sessions with instances. Shared by heal.ts,
 * promotion.ts and maintenance.ts.
 */
import { describeError } from "../common/errors.js";
import { ClusterHealContext } from "../common/heal-context.js";
import { ROLE_PRIMARY } from "../common/names.js";
import type { ClusterState } from "../common/cluster-state.js";
import type { EngineContext } from "../engine.js";
import { RedisSession, type RedisEndpoint, type ReplicationSource } from "./client.js";
import type { RedisObservation } from "./observe.js";
import type { RedisPasswords } from "./config.js";
import { REDIS_PORT, REDIS_TLS_PORT, redisNames, type RedisNames } from "./names.js";
import type { InstanceReading } from "./observe.js";
import type { RedisInstanceView } from "./planner.js";

export interface RedisPrepared extends ClusterState {
  passwords: RedisPasswords;
}

/** What a heal pass uses of the engine that runs it (engine.ts): its identity and addresses. */
export interface RedisHealHost {
  readonly identity: string;
  podAddress(namespace: string, cluster: string, pod: string): string;
  endpoint(context: EngineContext, prepared: RedisPrepared, pod: string): RedisEndpoint;
}

/** How soon a pass that found the promotion Lease taken comes back. */
const LEASE_RETRY_MS = 500;

export class RedisHealContext extends ClusterHealContext<RedisNames> {
  private readonly viewsByName: Map<string, RedisInstanceView>;
  private readonly readingsByName: Map<string, InstanceReading>;

  constructor(
    readonly engine: RedisHealHost,
    context: EngineContext,
    readonly prepared: RedisPrepared,
    readonly observation: RedisObservation,
  ) {
    super(
      context,
      redisNames(context.cluster),
      { holder: engine.identity, retryMs: LEASE_RETRY_MS },
      observation.views.map((view) => [view.name, view.label]),
    );
    this.viewsByName = new Map(observation.views.map((view) => [view.name, view]));
    this.readingsByName = new Map(observation.readings.map((reading) => [reading.name, reading]));
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

  /** Whether an instance serves TLS: as the operator reached it, else as the cluster is configured. */
  servesTls(pod: string): boolean {
    const reading = this.reading(pod);
    return reading?.facts ? reading.tls === true : this.context.tls !== undefined;
  }

  /**
   * How `follower` reaches `primary`: over TLS on the TLS port when both serve TLS, else in
   * plaintext (an instance that has not restarted since TLS was switched on).
   */
  linkTo(primary: string, follower: string): ReplicationSource {
    const tls = this.servesTls(primary) && this.servesTls(follower);
    return { host: this.hostOf(primary), port: tls ? REDIS_TLS_PORT : REDIS_PORT, tls };
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

  /** Removes the primary label from every other pod before putting it on `pod` (never two behind the Service). */
  async labelPrimary(pod: string): Promise<void> {
    for (const [other, role] of this.roleLabels()) if (other !== pod && role === ROLE_PRIMARY) await this.setRole(other, undefined);
    await this.setRole(pod, ROLE_PRIMARY);
  }
}
