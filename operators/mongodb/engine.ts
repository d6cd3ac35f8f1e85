/**
 * The MongoDB engine: what the DatabaseCluster controller calls for `engine: mongodb` (see
 * operators/engine.ts for the order). Builders are in resources/, decisions in planner.ts and
 * status.ts, commands in client.ts and replica-set.ts, the convergence in heal.ts.
 */
import type { EffectiveSpec } from "../../shared/api/index.js";
import type { KubeObject } from "../../shared/k8s/client.js";
import { ensureSecret } from "../../shared/secrets.js";
import { claimTemplateSize, readClusterState, type ClusterState } from "../common/cluster-state.js";
import { PrimaryEngine, type PrimaryEngineOptions } from "../common/primary-engine.js";
import { statefulSetReplicas } from "../common/scale-in.js";
import type { ConnectionInfo, Engine, EngineContext, HealOutcome, Observation } from "../engine.js";
import { DriverMember } from "./client.js";
import { healCluster } from "./heal.js";
import type { MemberCommands } from "./member.js";
import { ADMIN_USER, AGENT_PORT, MONGODB_PORT, RESERVED_USERNAMES, mongodbNames, podSelector } from "./names.js";
import { observeCluster, type MongodbObservation } from "./observe.js";
import { buildConnection } from "./resources/connection.js";
import { credentialsSecretOptions, keyfileSecretOptions, passwordsFrom, type MongodbPasswords } from "./resources/credentials-secret.js";
import { buildPodDisruptionBudget } from "./resources/pod-disruption-budget.js";
import { buildHeadlessService, buildPrimaryService, buildReplicasService } from "./resources/services.js";
import { SUPPORTED_VERSION, buildStatefulSet, defaultEngineImage } from "./resources/statefulset.js";
import { buildOplogArchiverContainer } from "./resources/oplog-archiver-container.js";

/** What a `mongodb` cluster gets where no mongod can run (the local cluster): pass it as `unavailable`. */
export const LOCAL_CLUSTER_UNAVAILABLE =
  "MongoDB cannot run on the local cluster: its pods run the host's binaries and no mongod can be installed on this host (not in Debian, not on npm or the Go module proxy). Deploy it on a real Kubernetes cluster; here only the planner, a replica-set simulator and FerretDB for the data path are tested";

export interface MongodbEngineOptions extends PrimaryEngineOptions {
  /** Why mongod cannot run where this operator deploys (the local cluster): clusters get phase Failed with it instead of crash-looping pods. */
  unavailable?: string;
}

export interface MongodbPrepared extends ClusterState {
  passwords: MongodbPasswords;
}

export class MongodbEngine extends PrimaryEngine implements Engine<MongodbPrepared> {
  readonly name = "mongodb" as const;

  constructor(readonly mongodbOptions: MongodbEngineOptions = {}) {
    super(mongodbOptions);
  }

  unsupported(spec: EffectiveSpec): string | undefined {
    if (this.mongodbOptions.unavailable) return this.mongodbOptions.unavailable;
    if (!SUPPORTED_VERSION.test(spec.version)) return `MongoDB ${spec.version} is not supported (use 7.0 or 8.0, optionally with a patch level such as 7.0.14)`;
    if (RESERVED_USERNAMES.includes(spec.username)) return `username ${spec.username} is reserved by Steward for mongodb clusters (${RESERVED_USERNAMES.join(", ")}); choose another`;
    if (spec.replicas % 2 === 0) return `mongodb needs an odd number of replicas, not ${spec.replicas}`;
    return undefined;
  }

  /** A member's address in the replica-set configuration: its stable DNS name under the headless Service. */
  memberHost(context: EngineContext, pod: string): string {
    const names = mongodbNames(context.cluster);
    return `${this.podAddress(names.namespace, names.cluster, pod)}:${MONGODB_PORT}`;
  }

  /** A direct session to one member; as the operator's admin user, or without credentials (hello only). */
  connect(context: EngineContext, prepared: MongodbPrepared, pod: string, authenticated: boolean): Promise<MemberCommands> {
    const names = mongodbNames(context.cluster);
    const host = this.podAddress(names.namespace, names.cluster, pod);
    return DriverMember.connect({ host, port: MONGODB_PORT, ...(authenticated ? { username: ADMIN_USER, password: prepared.passwords.admin, authSource: "admin" } : {}) });
  }

  /** Asks the agent in `pod` to bootstrap the set over localhost (the localhost exception works only from inside the pod). */
  async requestBootstrap(context: EngineContext, prepared: MongodbPrepared, pod: string): Promise<string> {
    const names = mongodbNames(context.cluster);
    const url = `http://${this.podAddress(names.namespace, names.cluster, pod)}:${AGENT_PORT}/v1/mongodb/bootstrap`;
    const response = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${prepared.passwords.agent}` }, signal: AbortSignal.timeout(120_000) });
    const text = await response.text();
    if (!response.ok) throw new Error(`the agent answered ${response.status}: ${text.trim().slice(0, 300)}`);
    return text.trim();
  }

  async prepare(context: EngineContext): Promise<MongodbPrepared> {
    const input = { cluster: context.cluster, spec: context.spec };
    const names = mongodbNames(context.cluster);
    const passwords = passwordsFrom(await ensureSecret(context.client, credentialsSecretOptions(input), context.cache));
    // Ensured (never applied): pods mount it; a regenerated keyfile would split the set.
    await ensureSecret(context.client, keyfileSecretOptions(input), context.cache);
    return { passwords, ...(await readClusterState(context, names, podSelector(context.cluster))) };
  }

  /** Apply order: Services before pods need their names; the StatefulSet last (the Secrets were ensured in prepare). */
  desiredObjects(context: EngineContext, prepared: MongodbPrepared): KubeObject[] {
    const input = { cluster: context.cluster, spec: context.spec };
    const objects: (KubeObject | undefined)[] = [
      buildHeadlessService(input),
      buildPrimaryService(input),
      buildReplicasService(input),
      buildPodDisruptionBudget(input),
      buildStatefulSet({
        ...input,
        agentImage: this.agentImage,
        engineImage: this.options.engineImage?.(context.spec) ?? defaultEngineImage(context.spec),
        existingClaimSize: claimTemplateSize(prepared.existingStatefulSet),
        extraContainers: context.spec.backup?.pointInTime?.enabled ? [buildOplogArchiverContainer(context.cluster, context.spec, this.agentImage)] : [],
      }),
    ];
    return objects.filter((object): object is KubeObject => object !== undefined);
  }

  connection(context: EngineContext, prepared: MongodbPrepared): ConnectionInfo {
    return buildConnection({ cluster: context.cluster, spec: context.spec }, prepared.passwords.app);
  }

  endpoints(context: EngineContext): { primary?: string; readOnly?: string } {
    const names = mongodbNames(context.cluster);
    return { primary: `${names.primaryHost}:${MONGODB_PORT}`, readOnly: `${names.replicasHost}:${MONGODB_PORT}` };
  }

  observe(context: EngineContext, prepared: MongodbPrepared): Promise<MongodbObservation> {
    const count = statefulSetReplicas({ cluster: context.cluster, spec: context.spec });
    return observeCluster(context, prepared.pods, count, (pod) => this.connect(context, prepared, pod, false));
  }

  heal(context: EngineContext, prepared: MongodbPrepared, observation: Observation): Promise<HealOutcome> {
    return healCluster(this, context, prepared, observation as MongodbObservation);
  }
}

export function mongodbEngine(options: MongodbEngineOptions = {}): MongodbEngine {
  return new MongodbEngine(options);
}
