/**
 * What one heal pass works with: the cluster, the observation, sessions with instances, and
 * the few writes it makes through the API (pod role labels, cluster annotations, status).
 * Shared by heal.ts, promotion.ts and maintenance.ts.
 */
import { ANNOTATIONS, LABELS } from "../../shared/api/index.js";
import type { DatabaseClusterStatus } from "../../shared/api/index.js";
import { RESOURCES, isNotFound, type KubeObject } from "../../shared/k8s/client.js";
import type { EngineContext } from "../engine.js";
import { InstanceSession } from "./client.js";
import { semiSyncTimeoutMs, semiSyncWanted } from "./config.js";
import type { MysqlEngine, MysqlObservation, MysqlPrepared } from "./engine.js";
import { AGENT_PORT, mysqlNames, type MysqlNames } from "./names.js";
import type { InstanceObservation } from "./observe.js";
import type { InstanceView } from "./planner.js";

export const UNHEALTHY_SINCE_ANNOTATION = "steward.dev/primary-unhealthy-since";
export { ANNOTATIONS };

export class HealContext {
  readonly names: MysqlNames;
  readonly flavor: "mysql" | "mariadb";
  readonly details: Map<string, InstanceObservation>;
  /** Status fields this pass sets (returned to the controller, which writes them). */
  readonly status: Partial<DatabaseClusterStatus> = {};
  /** Something is in motion: come back quickly. */
  busy = false;
  readonly problems: string[] = [];
  private readonly roles = new Map<string, string | undefined>();

  constructor(
    readonly engine: MysqlEngine,
    readonly context: EngineContext,
    readonly prepared: MysqlPrepared,
    readonly observation: MysqlObservation,
  ) {
    this.names = mysqlNames(context.cluster);
    this.flavor = context.spec.flavor ?? "mysql";
    this.details = new Map(observation.details.map((detail) => [detail.name, detail]));
    for (const detail of observation.details) this.roles.set(detail.name, detail.pod.role);
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

  /** Asks a pod's agent to copy the primary's data at its next start, then deletes the pod. */
  async reseed(pod: string, reason: string): Promise<void> {
    const url = `http://${this.hostOf(pod)}:${AGENT_PORT}/v1/mysql/reseed`;
    const response = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${this.prepared.credentials.agent}` }, signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`the agent of ${pod} refused to mark it for re-seeding: HTTP ${response.status}`);
    await this.setRole(pod, undefined);
    const uid = this.details.get(pod)?.pod.uid;
    await this.context.client.delete(RESOURCES.Pod, this.names.namespace, pod, uid ? { uid } : {});
    await this.warning("Reseeding", `Re-seeding ${pod} from the primary: ${reason}; its data is replaced by a copy of the primary's, never merged`);
    this.busy = true;
  }
}
