/**
 * What one heal pass of a MySQL cluster works with: the writes every engine makes
 * (common/heal-context.ts), the observation, SQL sessions with instances, and the agent's
 * re-seed. Shared by heal.ts, promotion.ts and maintenance.ts.
 */
import { ClusterHealContext } from "../common/heal-context.js";
import type { ClusterState } from "../common/cluster-state.js";
import type { EngineContext, Observation } from "../engine.js";
import { InstanceSession, type Endpoint } from "./client.js";
import { semiSyncTimeoutMs, semiSyncWanted } from "./config.js";
import type { MysqlCredentials } from "./resources/credentials-secret.js";
import { AGENT_PORT, MYSQL_TLS_FILES, mysqlNames, type MysqlNames } from "./names.js";
import type { InstanceObservation } from "./observe.js";
import type { InstanceView } from "./planner.js";

export interface MysqlPrepared extends ClusterState {
  credentials: MysqlCredentials;
}

export interface MysqlObservation extends Observation {
  details: InstanceObservation[];
}

/** What a heal pass uses of the engine that runs it (engine.ts): its identity, addresses, and what it remembers between passes. */
export interface MysqlHealHost {
  readonly identity: string;
  /** Clusters whose application account was seen on their current primary (uid/primary). */
  readonly accountsEnsured: Set<string>;
  /** Pods (by uid) seen presenting the certificate with this expiry: asked again only when it changes. */
  readonly tlsPresented: Map<string, string>;
  podAddress(namespace: string, cluster: string, pod: string): string;
  endpoint(context: EngineContext, prepared: MysqlPrepared, pod: string): Endpoint;
}

/** How soon a pass that found the promotion Lease taken comes back. */
const LEASE_RETRY_MS = 1000;

export class HealContext extends ClusterHealContext<MysqlNames> {
  readonly flavor: "mysql" | "mariadb";
  readonly details: Map<string, InstanceObservation>;
  readonly problems: string[] = [];

  constructor(
    readonly engine: MysqlHealHost,
    context: EngineContext,
    readonly prepared: MysqlPrepared,
    readonly observation: MysqlObservation,
  ) {
    super(
      context,
      mysqlNames(context.cluster),
      { holder: engine.identity, retryMs: LEASE_RETRY_MS },
      observation.details.map((detail) => [detail.name, detail.pod.role]),
    );
    this.flavor = context.spec.flavor ?? "mysql";
    this.details = new Map(observation.details.map((detail) => [detail.name, detail]));
  }

  view(name: string | undefined): InstanceView | undefined {
    return name ? this.details.get(name)?.view : undefined;
  }

  views(): InstanceView[] {
    return this.observation.details.map((detail) => detail.view);
  }

  semiSync(): boolean {
    return semiSyncWanted(this.spec);
  }

  semiSyncTimeoutMs(): number {
    return semiSyncTimeoutMs(this.spec);
  }

  /** The CA file replicas verify their primary with, when the cluster serves TLS. */
  replicationCaFile(): string | undefined {
    return this.context.tls ? MYSQL_TLS_FILES.ca : undefined;
  }

  /** The address replicas use for the primary (its pod's DNS name, never the Service). */
  hostOf(pod: string): string {
    return this.engine.podAddress(this.names.namespace, this.names.cluster, pod);
  }

  open(pod: string): Promise<InstanceSession> {
    return InstanceSession.open(pod, this.engine.endpoint(this.context, this.prepared, pod), this.flavor);
  }

  async withSession<T>(pod: string, action: (session: InstanceSession) => Promise<T>): Promise<T> {
    const session = await this.open(pod);
    try {
      return await action(session);
    } finally {
      await session.close();
    }
  }

  /** Asks a pod's agent to copy the primary's data at its next start, then deletes the pod. */
  async reseed(pod: string, reason: string): Promise<void> {
    const url = `http://${this.hostOf(pod)}:${AGENT_PORT}/v1/mysql/reseed`;
    const response = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${this.prepared.credentials.agent}` }, signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`the agent of ${pod} refused to mark it for re-seeding: HTTP ${response.status}`);
    await this.setRole(pod, undefined);
    await this.deletePod(pod, this.details.get(pod)?.pod.uid);
    await this.warning("Reseeding", `Re-seeding ${pod} from the primary: ${reason}; its data is replaced by a copy of the primary's, never merged`);
    this.busy = true;
  }
}
