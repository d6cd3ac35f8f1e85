import type { Condition, DatabaseCluster, DatabaseClusterStatus, EffectiveSpec, EngineName, InstanceStatus } from "../shared/api/index.js";
import type { KubeClient, KubeObject } from "../shared/k8s/client.js";
import type { EventRecorder } from "../shared/events.js";
import type { Logger } from "../shared/log.js";

/**
 * The shape every engine folder (operators/mysql, redis, rabbitmq, mongodb) implements.
 * The DatabaseCluster controller owns the generic part of a reconcile (deletion, pause,
 * defaults, the connection Secret, status and conditions) and hands the engine-specific
 * part to these methods, in this order on every reconcile:
 *
 *   prepare -> desiredObjects (applied in the order returned) -> observe -> heal
 *
 * Backups and restores go through `backup` (see backup/engine-backup.ts for its shape).
 */
export interface EngineContext {
  client: KubeClient;
  events: EventRecorder;
  log: Logger;
  signal: AbortSignal;
  cluster: DatabaseCluster;
  spec: EffectiveSpec;
  now(): Date;
}

/** What the connection Secret `<cluster>-conn` holds: enough for an application to connect. */
export interface ConnectionInfo {
  host: string;
  port: number;
  username: string;
  password: string;
  uri: string;
  database?: string;
  /** A host serving reads only (the replicas Service), where the engine has one. */
  readOnlyHost?: string;
}

export interface ConditionInput {
  type: string;
  status: Condition["status"];
  reason: string;
  message: string;
}

export interface Observation {
  instances: InstanceStatus[];
  /** The instance serving writes now, if the engine has one. */
  primary?: string;
  readyReplicas: number;
  /** Engine-specific conditions (e.g. Replicating), merged into status.conditions. */
  conditions: ConditionInput[];
  /** What is wrong, each a sentence saying what the operator is doing about it; non-empty means Degraded. */
  problems: string[];
  /** True while the cluster is still coming up for the first time (Provisioning, not Degraded). */
  provisioning: boolean;
}

export interface HealOutcome {
  /** Ask to be reconciled again soon (e.g. 1 s while watching a primary that looks unhealthy). */
  requeueAfterMs?: number;
  /** Fields the engine sets in status (currentPrimary, lastFailover, ...). */
  status?: Partial<DatabaseClusterStatus>;
  /** A fatal, user-fixable problem: phase Failed with this message. */
  failed?: string;
}

export interface Engine<Prepared = unknown> {
  readonly name: EngineName;
  /** Why this build cannot run the spec (e.g. an unsupported version), or undefined. */
  unsupported?(spec: EffectiveSpec): string | undefined;
  /** Makes sure generated credentials exist (Secrets) and reads what builders and clients need. */
  prepare(context: EngineContext): Promise<Prepared>;
  /** Every owned object, in apply order (Secrets and ConfigMaps before the StatefulSet). Pure. */
  desiredObjects(context: EngineContext, prepared: Prepared): KubeObject[];
  connection(context: EngineContext, prepared: Prepared): ConnectionInfo;
  /** Service endpoints for status: host:port of the primary and of read-only replicas. */
  endpoints(context: EngineContext): { primary?: string; readOnly?: string };
  observe(context: EngineContext, prepared: Prepared): Promise<Observation>;
  /** Converges what observation found: bootstrap, failover, rejoin, switchover, scaling, rolling changes. */
  heal(context: EngineContext, prepared: Prepared, observation: Observation): Promise<HealOutcome>;
}

export type EngineRegistry = Partial<Record<EngineName, Engine>>;
