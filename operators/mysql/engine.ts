/**
 * The MySQL/MariaDB engine: what the DatabaseCluster controller calls for `engine: mysql`
 * (see operators/engine.ts for the order). Builders are in resources/, decisions in
 * planner.ts and rolling.ts, SQL in client.ts/roles.ts, and the convergence in heal.ts.
 */
import type { EffectiveSpec } from "../../shared/api/index.js";
import type { KubeObject } from "../../shared/k8s/client.js";
import { ensureSecret } from "../../shared/secrets.js";
import { claimTemplateSize, readClusterState } from "../common/cluster-state.js";
import { ordinalOf } from "../common/names.js";
import { instancesToObserve, podFacts } from "../common/observed-pods.js";
import { PrimaryEngine, type PrimaryEngineOptions } from "../common/primary-engine.js";
import { statefulSetReplicas } from "../common/scale-in.js";
import type { ConnectionInfo, Engine, EngineContext, HealOutcome, Observation } from "../engine.js";
import { buildBinlogArchiverContainer } from "./backup/job-target.js";
import type { Endpoint } from "./client.js";
import { healCluster } from "./heal.js";
import type { MysqlObservation, MysqlPrepared } from "./heal-context.js";
import { MYSQL_PORT, USERS, mysqlNames, podSelector } from "./names.js";
import { instanceStatus, instanceView, markMysqlErrant, readInstance, replicatingCondition, type InstanceObservation } from "./observe.js";
import { buildConfigMap } from "./resources/config-map.js";
import { credentialsFrom, credentialsSecretOptions } from "./resources/credentials-secret.js";
import { buildHeadlessService } from "./resources/headless-service.js";
import { buildPodDisruptionBudget } from "./resources/pod-disruption-budget.js";
import { buildPrimaryService, buildReplicasService } from "./resources/role-services.js";
import { buildStatefulSet, defaultEngineImage } from "./resources/statefulset.js";

/** agentImage runs the init step and the sidecar; the engine image defaults to mariadb:<version> / mysql:<version>. */
export type MysqlEngineOptions = PrimaryEngineOptions;

export type { MysqlObservation, MysqlPrepared };

export class MysqlEngine extends PrimaryEngine implements Engine<MysqlPrepared> {
  readonly name = "mysql" as const;
  readonly servesTls = true;
  /** Clusters whose application account was seen on their current primary (uid/primary). */
  readonly accountsEnsured = new Set<string>();
  readonly tlsPresented = new Map<string, string>();

  unsupported(spec: EffectiveSpec): string | undefined {
    if (spec.flavor === "mariadb" && !/^(10\.(6|11)|11\.[0-9]+)(\.|$)/.test(spec.version)) return `MariaDB ${spec.version} is not supported (use 10.6, 10.11 or 11.x)`;
    if (spec.flavor !== "mariadb" && !/^8\.4(\.|$)/.test(spec.version)) return `MySQL ${spec.version} is not supported (use 8.4)`;
    return undefined;
  }

  endpoint(context: EngineContext, prepared: MysqlPrepared, pod: string): Endpoint {
    const names = mysqlNames(context.cluster);
    return { host: this.podAddress(names.namespace, names.cluster, pod), port: MYSQL_PORT, user: USERS.root, password: prepared.credentials.root, ca: context.tls?.caPem || undefined };
  }

  async prepare(context: EngineContext): Promise<MysqlPrepared> {
    const input = { cluster: context.cluster, spec: context.spec };
    const names = mysqlNames(context.cluster);
    const credentials = credentialsFrom(await ensureSecret(context.client, credentialsSecretOptions(input), context.cache));
    return { credentials, ...(await readClusterState(context, names, podSelector(context.cluster))) };
  }

  /**
   * Apply order: the ConfigMap before the StatefulSet (pods mount it), Services before pods
   * need names; the credentials Secret was ensured in prepare (ensured, not applied, so
   * existing passwords are never replaced).
   */
  desiredObjects(context: EngineContext, prepared: MysqlPrepared): KubeObject[] {
    const input = { cluster: context.cluster, spec: context.spec };
    const existingClaimSize = claimTemplateSize(prepared.existingStatefulSet);
    const objects: (KubeObject | undefined)[] = [
      buildConfigMap(input),
      buildHeadlessService(input),
      buildPrimaryService(input),
      buildReplicasService(input),
      buildPodDisruptionBudget(input),
      buildStatefulSet({
        ...input,
        agentImage: this.agentImage,
        engineImage: this.options.engineImage?.(context.spec) ?? defaultEngineImage(context.spec),
        existingClaimSize,
        // Point-in-time recovery: the binlog archiver beside mariadbd.
        extraContainers: context.spec.backup?.pointInTime?.enabled ? [buildBinlogArchiverContainer(context.cluster, context.spec, this.agentImage)] : [],
      }),
    ];
    return objects.filter((object): object is KubeObject => object !== undefined);
  }

  connection(context: EngineContext, prepared: MysqlPrepared): ConnectionInfo {
    const names = mysqlNames(context.cluster);
    const database = context.spec.database;
    const user = encodeURIComponent(context.spec.username);
    const password = prepared.credentials.app;
    return {
      host: names.primaryHost,
      readOnlyHost: names.replicasHost,
      port: MYSQL_PORT,
      username: context.spec.username,
      password,
      database,
      // ssl-mode as MySQL Shell and Connector/J spell it; the CA is ca.crt beside it.
      uri: `mysql://${user}:${encodeURIComponent(password)}@${names.primaryHost}:${MYSQL_PORT}/${database ?? ""}${context.tls ? "?ssl-mode=VERIFY_IDENTITY" : ""}`,
      ca: context.tls?.caPem || undefined,
    };
  }

  endpoints(context: EngineContext): { primary?: string; readOnly?: string } {
    const names = mysqlNames(context.cluster);
    return { primary: `${names.primaryHost}:${MYSQL_PORT}`, readOnly: `${names.replicasHost}:${MYSQL_PORT}` };
  }

  async observe(context: EngineContext, prepared: MysqlPrepared): Promise<MysqlObservation> {
    const names = mysqlNames(context.cluster);
    const flavor = context.spec.flavor ?? "mysql";
    const count = statefulSetReplicas({ cluster: context.cluster, spec: context.spec });
    const podsByName = new Map(prepared.pods.map((pod) => [pod.metadata.name, pod]));
    const details = await Promise.all(
      instancesToObserve(names.pod, count, prepared.pods).map(async (name): Promise<InstanceObservation> => {
        const pod = podFacts(name, podsByName.get(name));
        const result = pod.exists && !pod.initializing ? await readInstance(name, this.endpoint(context, prepared, name), flavor) : { error: pod.exists ? "initializing" : "no pod" };
        // Whether it could have acknowledged the primary's last commits is decided in heal,
        // from what streamed while the primary was last healthy (see heal.ts).
        return { name, ordinal: ordinalOf(name), pod, facts: result.facts, error: result.error, view: instanceView(flavor, name, pod, result.facts, undefined) };
      }),
    );
    const primary = context.cluster.status?.currentPrimary;
    if (flavor === "mysql") markMysqlErrant(details.map((detail) => detail.view), details.find((detail) => detail.name === primary)?.view);
    const desired = details.filter((detail) => detail.ordinal < context.spec.replicas);
    const problems: string[] = [];
    for (const detail of desired) {
      const status = instanceStatus(detail, primary);
      if (!status.ready) problems.push(`${detail.name} is not ready${status.message ? ` (${status.message})` : ""}`);
      else if (detail.name !== primary && status.replication !== "Running" && context.spec.replicas > 1) problems.push(`${detail.name} is not replicating${status.message ? ` (${status.message})` : ""}`);
    }
    return {
      details,
      instances: details.map((detail) => instanceStatus(detail, primary)),
      primary,
      readyReplicas: desired.filter((detail) => detail.pod.ready && detail.view.reachable).length,
      conditions: [replicatingCondition(desired, primary, context.spec.replicas)],
      problems,
      provisioning: !context.cluster.status?.bootstrapped,
    };
  }

  heal(context: EngineContext, prepared: MysqlPrepared, observation: Observation): Promise<HealOutcome> {
    return healCluster(this, context, prepared, observation as MysqlObservation);
  }
}

export function mysqlEngine(options: MysqlEngineOptions = {}): MysqlEngine {
  return new MysqlEngine(options);
}
