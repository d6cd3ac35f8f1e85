import type { Command } from "commander";
import type { Condition, DatabaseCluster, DatabaseClusterStatus, EffectiveSpec, EngineName, InstanceStatus } from "../shared/api/index.js";
import type { BackupEngines, EngineBackupSupport } from "../backup/engine-backup.js";
import type { KubeClient, KubeObject } from "../shared/k8s/client.js";
import type { EventRecorder } from "../shared/events.js";
import type { Logger } from "../shared/log.js";
import type { ObjectCache } from "../shared/runtime/informer-factory.js";
import type { ClusterTls } from "./cluster/tls.js";

/**
 * The contract every engine folder (operators/mysql, redis, rabbitmq, mongodb) implements, as
 * one `EnginePlugin` (its plugin.ts) listed in operators/engines.ts, the only file that names
 * the engines. A plugin has facets:
 *   - cluster (`Engine` below): builders, observe and heal, the connection Secret's contents;
 *   - backup (`EngineBackupSupport`, backup/engine-backup.ts): how Jobs reach a cluster and
 *     the data path (dump, load, checksums, point in time); absent when the engine has none;
 *   - agent: the `steward agent` subcommands its pods and Jobs run;
 *   - capabilities: what a user may ask of it (switchover, point in time), so a refusal names
 *     the capability instead of the engine.
 * The DatabaseCluster controller owns the generic part of a reconcile (deletion, pause,
 * defaults, the connection Secret, status and conditions) and hands the engine-specific
 * part to the cluster facet, in this order on every reconcile:
 *
 *   prepare -> desiredObjects (applied in the order returned) -> observe -> heal
 *
 * Plugins are cheap to import (the agent and the CLI list them): heavy parts load on demand.
 */
export interface EngineContext {
  client: KubeClient;
  events: EventRecorder;
  log: Logger;
  signal: AbortSignal;
  cluster: DatabaseCluster;
  spec: EffectiveSpec;
  /** The server certificate when spec.tls.enabled and the engine serves TLS (see cluster/tls.ts). */
  tls?: ClusterTls;
  /** The shared informer caches (owned objects, the cluster's pods): read them before asking the API server. */
  cache?: ObjectCache;
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
  /** The CA that signed the server certificate (`ca.crt`), when the cluster serves TLS. */
  ca?: string;
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
  /** Whether it serves spec.tls (mounts `<cluster>-tls`, verifies it on its own connections). */
  readonly servesTls?: boolean;
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

/** A `steward agent` subcommand, listed in help without loading its code (cli/lazy-commands.ts). */
export interface AgentSubcommand {
  name: string;
  aliases?: string[];
  usage?: string;
  description: string;
  load(args: readonly string[]): Promise<Command>;
}

/** What a user may ask of an engine beyond create, scale, back up and restore. */
export interface EngineCapabilities {
  /** A planned change of primary (the steward.dev/switchover annotation, `steward switchover`). */
  switchover: boolean;
  /** Restores to a point in time (continuous log archiving). */
  pointInTime: boolean;
}

export interface EnginePlugin {
  readonly name: EngineName;
  /** For people: "MySQL/MariaDB". */
  readonly title: string;
  readonly capabilities: EngineCapabilities;
  /** The cluster facet with its defaults, for the operator. */
  loadCluster(): Promise<Engine>;
  /** Backups and restores; absent when the engine has none. */
  readonly backup?: EngineBackupSupport;
  /** The `steward agent` subcommands its pods and Jobs run. */
  readonly agentCommands: readonly AgentSubcommand[];
}

/** The plugin named `name`, or an error listing the engines this build has. */
export function pluginOf(plugins: readonly EnginePlugin[], name: string): EnginePlugin {
  const plugin = plugins.find((candidate) => candidate.name === name);
  if (!plugin) throw new Error(`engine ${name} is not in this build of Steward (it has ${plugins.map((p) => p.name).join(", ")})`);
  return plugin;
}

/** Each plugin's cluster facet, by name: what the DatabaseCluster controller runs. */
export async function loadClusterEngines(plugins: readonly EnginePlugin[]): Promise<EngineRegistry> {
  const engines: EngineRegistry = {};
  for (const plugin of plugins) engines[plugin.name] = await plugin.loadCluster();
  return engines;
}

/** Each plugin's backup facet, by name: what the backup controllers and the agent use. */
export function backupEnginesOf(plugins: readonly EnginePlugin[]): BackupEngines {
  return Object.fromEntries(plugins.filter((plugin) => plugin.backup).map((plugin) => [plugin.name, plugin.backup]));
}

/** Picks `name` out of a module's commands (an engine's agent/commands.ts builds several at once). */
export function commandNamed(commands: readonly Command[], name: string): Command {
  const found = commands.find((command) => command.name() === name);
  if (!found) throw new Error(`no agent command ${name} in its module`);
  return found;
}
