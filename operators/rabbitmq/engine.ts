/**
 * The RabbitMQ engine: prepare (Secrets, the StatefulSet as it is) → desiredObjects → observe
 * (observe.ts: the cluster's health and the next step, planned) → heal (carries one step out).
 * There is no primary to fail over: the operator keeps quorum queues available through
 * restarts and scale changes, and says what it waits for.
 */
import type { EffectiveSpec } from "../../shared/api/index.js";
import { RESOURCES, type KubeObject } from "../../shared/k8s/client.js";
import { ensureSecret } from "../../shared/secrets.js";
import { agentImage } from "../../backup/agent/image.js";
import { claimTemplateSize, type StatefulSetObject } from "../common/cluster-state.js";
import { claimsToGrow } from "../common/volume-growth.js";
import type { ConnectionInfo, Engine, EngineContext, HealOutcome, Observation } from "../engine.js";
import { AgentClient } from "./agent/client.js";
import { isMissingEndpoint, type Credentials } from "./client.js";
import { configProblems } from "./config.js";
import { ADMIN_USER, CREDENTIAL_KEYS, PORTS, rabbitmqNames, type RabbitmqNames } from "./names.js";
import { managementClientFor, observeCluster, podDnsAddress, type ObserveOptions, type PodAddress, type RabbitmqObservation } from "./observe.js";
import type { Action } from "./planner.js";
import { buildBootstrapContainer } from "./backup/bootstrap-restore.js";
import { buildConfigMap } from "./resources/config-map.js";
import { buildPodDisruptionBudget } from "./resources/pod-disruption-budget.js";
import { cookieSecretOptions, credentialRepairs, credentialsFrom, credentialsSecretOptions, type RabbitmqCredentials } from "./resources/secrets.js";
import { buildClientService, buildHeadlessService } from "./resources/services.js";
import { buildStatefulSet, defaultEngineImage } from "./resources/statefulset.js";
import { ensureAppUser } from "./app-user.js";
import { reloadRenewedCertificates } from "./tls-reload.js";
import { unsupportedVersion } from "./version.js";

export interface RabbitmqEngineOptions {
  /** The steward image the agent sidecar runs; default $STEWARD_AGENT_IMAGE or the release image. */
  agentImage?: string;
  /** The engine image for a spec; default rabbitmq:<version>. */
  engineImage?: (spec: EffectiveSpec) => string;
  /** The agent sidecar's command (see resources/statefulset.ts). */
  agentCommand?: string[];
  /** The restore init step's command in a cluster created from a backup; default `steward agent rabbitmq-bootstrap`. */
  bootstrapCommand?: string[];
  /** How the operator reaches a pod; default its StatefulSet DNS name. */
  address?: PodAddress;
  /** Timeout of each management API call. */
  timeoutMs?: number;
}

export interface RabbitmqPrepared {
  credentials: RabbitmqCredentials;
  /** The StatefulSet's replicas now; undefined before it exists. */
  currentReplicas?: number;
  existingClaimSize?: string;
}

export class RabbitmqEngine implements Engine<RabbitmqPrepared> {
  readonly name = "rabbitmq" as const;
  /** AMQPS and the management API over HTTPS; the operator verifies nodes with the cluster's CA. */
  readonly servesTls = true;

  /** Pod uid -> the certificate expiry it was last seen presenting (tls-reload.ts); lost on restart, which costs one check per pod. */
  private readonly tlsPresented = new Map<string, string>();

  /** When each stuck node was first seen stuck (see planStuckRestart); lost on restart, which only delays a restart. */
  private readonly stuckSince = new Map<string, number>();

  private readonly agentImage: string;

  constructor(private readonly options: RabbitmqEngineOptions = {}) {
    this.agentImage = agentImage(options.agentImage);
  }

  unsupported(spec: EffectiveSpec): string | undefined {
    const problems = [unsupportedVersion(spec.version), ...configProblems(spec.config)].filter(Boolean);
    return problems.length > 0 ? problems.join("; ") : undefined;
  }

  async prepare(context: EngineContext): Promise<RabbitmqPrepared> {
    const { client, cluster, spec } = context;
    const names = rabbitmqNames(cluster);
    const input = { cluster, spec };
    let values = await ensureSecret(client, credentialsSecretOptions(input), context.cache);
    const repairs = credentialRepairs(values);
    if (Object.keys(repairs).length > 0) {
      const data = Object.fromEntries(Object.entries(repairs).map(([key, value]) => [key, Buffer.from(value).toString("base64")]));
      await client.mergePatch(RESOURCES.Secret, names.namespace, names.credentials, { data });
      values = { ...values, ...repairs };
    }
    await ensureSecret(client, cookieSecretOptions(input), context.cache);
    const statefulSet =
      (context.cache?.cached(RESOURCES.StatefulSet, names.namespace, names.statefulSet) as StatefulSetObject | undefined) ??
      (await client.get<StatefulSetObject>(RESOURCES.StatefulSet, names.namespace, names.statefulSet));
    return {
      credentials: credentialsFrom(values),
      currentReplicas: statefulSet?.spec?.replicas,
      existingClaimSize: claimTemplateSize(statefulSet),
    };
  }

  /**
   * In apply order: the ConfigMap before the StatefulSet that mounts it (the Secrets were ensured
   * in prepare), the Services, the budget, the StatefulSet last. Its replicas stay what they are
   * once it exists: heal changes them, one step at a time (scale-out after a finished scale-in,
   * scale-in after the node's queues moved off it).
   */
  desiredObjects(context: EngineContext, prepared: RabbitmqPrepared): KubeObject[] {
    const { cluster, spec } = context;
    const input = { cluster, spec };
    const replicas = prepared.currentReplicas ?? spec.replicas;
    const objects: (KubeObject | undefined)[] = [
      buildConfigMap(input, Math.max(spec.replicas, replicas)),
      buildHeadlessService(input),
      buildClientService(input),
      buildPodDisruptionBudget(input),
      buildStatefulSet({
        ...input,
        engineImage: this.options.engineImage?.(spec) ?? defaultEngineImage(spec),
        agentImage: this.agentImage,
        agentCommand: this.options.agentCommand,
        replicas,
        existingClaimSize: prepared.existingClaimSize,
        extraInitContainers: spec.bootstrap ? [buildBootstrapContainer(cluster, this.agentImage, this.options.bootstrapCommand)] : undefined,
      }),
    ];
    return objects.filter((object): object is KubeObject => object !== undefined);
  }

  connection(context: EngineContext, prepared: RabbitmqPrepared): ConnectionInfo {
    const names = rabbitmqNames(context.cluster);
    const username = context.spec.username;
    const password = prepared.credentials[CREDENTIAL_KEYS.appPassword];
    // With TLS, AMQPS even when plaintext is still allowed: the Secret is what applications copy.
    const [scheme, port] = context.tls ? ["amqps", PORTS.amqps] : ["amqp", PORTS.amqp];
    return {
      host: names.clientHost,
      port,
      username,
      password,
      uri: `${scheme}://${encodeURIComponent(username)}:${encodeURIComponent(password)}@${names.clientHost}:${port}/%2F`,
      ca: context.tls?.caPem || undefined,
    };
  }

  endpoints(context: EngineContext): { primary?: string; readOnly?: string } {
    return { primary: `${rabbitmqNames(context.cluster).clientHost}:${context.tls ? PORTS.amqps : PORTS.amqp}` };
  }

  private observeOptions(context: EngineContext, prepared: RabbitmqPrepared): ObserveOptions {
    const credentials: Credentials = { username: ADMIN_USER, password: prepared.credentials[CREDENTIAL_KEYS.adminPassword] };
    return { credentials, address: this.options.address ?? podDnsAddress, timeoutMs: this.options.timeoutMs, stuckSince: this.stuckSince, ca: context.tls?.caPem || undefined };
  }

  observe(context: EngineContext, prepared: RabbitmqPrepared): Promise<RabbitmqObservation> {
    return observeCluster(context, this.observeOptions(context, prepared));
  }

  async heal(context: EngineContext, prepared: RabbitmqPrepared, observation: Observation): Promise<HealOutcome> {
    const seen = observation as RabbitmqObservation;
    const names = rabbitmqNames(context.cluster);
    const action = seen.plan.action;
    const options = this.observeOptions(context, prepared);
    try {
      await this.carryOut(context, prepared, seen, action, options);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      context.log.warn({ err: error, action: action.kind }, `could not carry out ${action.kind}: ${message}`);
      await context.events.warning(context.cluster as unknown as KubeObject, "StepFailed", `Could not ${describe(action)}: ${message}; retrying`);
      return { requeueAfterMs: 5_000, status: statusOf(seen, context) };
    }
    const speaker = seen.pods.find((pod) => seen.assessment.running.includes(pod.node) && seen.assessment.answering.includes(pod.node));
    if (speaker) {
      try {
        const changed = await ensureAppUser(managementClientFor(names, speaker.name, options), context.spec.username, prepared.credentials[CREDENTIAL_KEYS.appPassword]);
        if (changed) await context.events.normal(context.cluster as unknown as KubeObject, "ApplicationUser", `Set the password and permissions of the application user ${context.spec.username} from ${names.credentials}`);
      } catch (error) {
        context.log.warn({ err: error }, "could not ensure the application user");
      }
    }
    await this.growClaims(context, seen);
    const reloading = await reloadRenewedCertificates(context, seen, {
      names,
      address: options.address,
      agentOf: (pod) => new AgentClient(`http://${options.address(names, pod)}:${PORTS.agent}`, prepared.credentials[CREDENTIAL_KEYS.agentToken]),
      presented: this.tlsPresented,
    });
    const busy = action.kind !== "none" && action.kind !== "rebalance";
    return { requeueAfterMs: busy ? 2_000 : reloading || !seen.assessment.whole ? 5_000 : undefined, status: statusOf(seen, context) };
  }

  private async carryOut(context: EngineContext, prepared: RabbitmqPrepared, seen: RabbitmqObservation, action: Action, options: ObserveOptions): Promise<void> {
    const { client, events } = context;
    const cluster = context.cluster as unknown as KubeObject;
    const names = rabbitmqNames(context.cluster);
    const running = seen.pods.filter((pod) => seen.assessment.running.includes(pod.node) && seen.assessment.answering.includes(pod.node));
    const agentOf = (pod: string) => new AgentClient(`http://${options.address(names, pod)}:${PORTS.agent}`, prepared.credentials[CREDENTIAL_KEYS.agentToken]);
    switch (action.kind) {
      case "none":
      case "wait":
        return;
      case "restart": {
        await client.delete(RESOURCES.Pod, names.namespace, action.pod, { uid: seen.podUids.get(action.pod) });
        const stuck = seen.assessment.stuck.includes(action.node);
        await events.normal(
          cluster,
          stuck ? "RestartedStuckNode" : "RollingRestart",
          stuck ? `Restarted ${action.pod}: ${action.reason}` : `Restarted ${action.pod} after checking it was not quorum-critical (${action.reason})`,
        );
        return;
      }
      case "scaleOut": {
        await client.mergePatch(RESOURCES.StatefulSet, names.namespace, names.statefulSet, { spec: { replicas: action.replicas } });
        await events.normal(cluster, "ScalingOut", `Scaled out to ${action.replicas} nodes; new nodes join through classic_config peer discovery`);
        return;
      }
      case "grow": {
        await this.changeMembership("grow", action.node, seen, names, options, agentOf, running.map((pod) => pod.name));
        await managementClientFor(names, running[0]!.name, options).rebalanceQueues();
        await events.normal(cluster, "GrewQuorumQueues", `Added ${action.node} to ${action.queues.length} quorum queue(s) (${action.queues.slice(0, 5).join(", ")}${action.queues.length > 5 ? ", ..." : ""}) and rebalanced leaders`);
        return;
      }
      case "shrink": {
        const others = running.filter((pod) => pod.node !== action.node).map((pod) => pod.name);
        await this.changeMembership("shrink", action.node, seen, names, options, agentOf, others);
        await events.normal(cluster, "ShrankQuorumQueues", `Removed ${action.node} from ${action.queues.length} quorum queue(s) before removing the node`);
        return;
      }
      case "removePod": {
        await client.mergePatch(RESOURCES.StatefulSet, names.namespace, names.statefulSet, { spec: { replicas: action.replicas } });
        await events.normal(cluster, "ScalingIn", `Removed ${action.pod} (spec.allowScaleDown is true and no queue replica was left on it)`);
        return;
      }
      case "forget": {
        const result = await agentOf(running[0]!.name).run("forget", action.node);
        if (!result.ok && !/not a member|not_a_cluster_node|is not part of/i.test(result.output)) throw new Error(`forget_cluster_node ${action.node} exited ${result.exitCode}: ${result.output.slice(-500)}`);
        await events.normal(cluster, "ForgotNode", `The cluster forgot ${action.node}, removed by a scale-in`);
        return;
      }
      case "deleteClaim": {
        await client.delete(RESOURCES.PersistentVolumeClaim, names.namespace, action.claim);
        await events.normal(cluster, "DeletedVolume", `Deleted ${action.claim}: its node left the cluster by a scale-in and its data cannot rejoin`);
        return;
      }
      case "rebalance": {
        await managementClientFor(names, running[0]!.name, options).rebalanceQueues();
        await events.normal(cluster, "RebalancedQueues", "Rebalanced quorum queue leaders over the nodes after the change");
        return;
      }
    }
  }

  /** Grows or shrinks every quorum queue's membership on `node`: the HTTP API where the server has it (3.13+), else the agent. */
  private async changeMembership(
    operation: "grow" | "shrink",
    node: string,
    seen: RabbitmqObservation,
    names: RabbitmqNames,
    options: ObserveOptions,
    agentOf: (pod: string) => AgentClient,
    via: string[],
  ): Promise<void> {
    const pod = via[0];
    if (!pod) throw new Error(`no running node to ${operation} quorum queues from`);
    if (seen.capabilities?.replicaEndpoints) {
      const management = managementClientFor(names, pod, options);
      try {
        if (operation === "grow") await management.growQuorumQueues(node);
        else await management.shrinkQuorumQueues(node);
        return;
      } catch (error) {
        if (!isMissingEndpoint(error)) throw error;
      }
    }
    const result = await agentOf(pod).run(operation, node);
    if (!result.ok) throw new Error(`rabbitmq-queues ${operation} ${node} exited ${result.exitCode}${result.failures.length ? `; failed: ${result.failures.join("; ")}` : ""}: ${result.output.slice(-500)}`);
  }

  /** Volumes only grow (CEL refuses shrinking): each claim below spec.storage.size is patched; the template keeps its size. */
  private async growClaims(context: EngineContext, seen: RabbitmqObservation): Promise<void> {
    const size = String(context.spec.storage.size);
    for (const claim of claimsToGrow(seen.claims.map((claim) => ({ name: claim.name, requested: claim.size })), size)) {
      await context.client.mergePatch(RESOURCES.PersistentVolumeClaim, context.cluster.metadata.namespace, claim, { spec: { resources: { requests: { storage: size } } } });
      await context.events.normal(context.cluster as unknown as KubeObject, "GrewVolume", `Asked for ${context.spec.storage.size} on ${claim}`);
    }
  }
}

function describe(action: Action): string {
  switch (action.kind) {
    case "restart":
      return `restart ${action.pod}`;
    case "scaleOut":
      return `scale out to ${action.replicas}`;
    case "grow":
      return `grow quorum queues onto ${action.node}`;
    case "shrink":
      return `shrink quorum queues off ${action.node}`;
    case "removePod":
      return `remove ${action.pod}`;
    case "forget":
      return `forget ${action.node}`;
    case "deleteClaim":
      return `delete ${action.claim}`;
    default:
      return action.kind;
  }
}

function statusOf(seen: RabbitmqObservation, context: EngineContext): HealOutcome["status"] {
  const bootstrapped = context.cluster.status?.bootstrapped === true || seen.assessment.whole;
  return bootstrapped ? { bootstrapped: true } : {};
}

export function rabbitmqEngine(options: RabbitmqEngineOptions = {}): RabbitmqEngine {
  return new RabbitmqEngine(options);
}
