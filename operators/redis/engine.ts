/**
 * The Redis engine: what the DatabaseCluster controller calls for `engine: redis` (see
 * operators/engine.ts for the order). Builders are in resources/, decisions in planner.ts,
 * commands in client.ts/roles.ts, the convergence in heal.ts, promotion.ts, maintenance.ts.
 */
import type { EffectiveSpec } from "../../shared/api/index.js";
import type { KubeObject } from "../../shared/k8s/client.js";
import { ensureSecret } from "../../shared/secrets.js";
import { claimTemplateSize, readClusterState } from "../common/cluster-state.js";
import { PrimaryEngine, type PrimaryEngineOptions } from "../common/primary-engine.js";
import { statefulSetReplicas } from "../common/scale-in.js";
import type { ConnectionInfo, Engine, EngineContext, HealOutcome, Observation } from "../engine.js";
import type { RedisEndpoint } from "./client.js";
import { buildUsersConf, checkConfig } from "./config.js";
import { healCluster } from "./heal.js";
import type { RedisPrepared } from "./heal-context.js";
import { REDIS_PORT, REDIS_TLS_PORT, RESERVED_USERNAMES, USERS, podSelector, redisNames } from "./names.js";
import { observeCluster, type RedisObservation } from "./observe.js";
import { buildAuthSecret } from "./resources/auth-secret.js";
import { buildConfigMap } from "./resources/config-map.js";
import { credentialsSecretOptions, passwordsFrom } from "./resources/credentials-secret.js";
import { buildHeadlessService } from "./resources/headless-service.js";
import { buildPodDisruptionBudget } from "./resources/pod-disruption-budget.js";
import { buildPrimaryService, buildReplicasService } from "./resources/role-services.js";
import { buildStatefulSet, defaultEngineImage } from "./resources/statefulset.js";

/** agentImage runs the restore init step; the engine image defaults to redis:<version>. */
export type RedisEngineOptions = PrimaryEngineOptions;

/** Redis 6.2 brought FAILOVER and ACL channel rules, which Steward relies on. */
const SUPPORTED_VERSION = /^(6\.2|7\.[0-9]+)(\.[0-9]+)?$/;

export type { RedisObservation, RedisPrepared };

export class RedisEngine extends PrimaryEngine implements Engine<RedisPrepared> {
  readonly name = "redis" as const;
  /** spec.tls: tls-port with `<cluster>-tls`, replication over TLS, the operator's sessions verified (tls-reload.ts reloads renewals). */
  readonly servesTls = true;

  unsupported(spec: EffectiveSpec): string | undefined {
    if (!SUPPORTED_VERSION.test(spec.version)) return `Redis ${spec.version} is not supported (use 6.2 or 7.x)`;
    if (RESERVED_USERNAMES.includes(spec.username)) return `username ${spec.username} is reserved by Steward for redis clusters (${RESERVED_USERNAMES.join(", ")}); choose another`;
    return checkConfig(spec);
  }

  endpoint(context: EngineContext, prepared: RedisPrepared, pod: string): RedisEndpoint {
    const names = redisNames(context.cluster);
    const ca = context.tls?.caPem;
    // Plaintext only for a pod made before TLS was switched on: one whose spec publishes the
    // TLS port serves it, so a refused TLS connection there is never taken as a reason to
    // send the operator's password in plaintext.
    const spec = prepared.pods.find((candidate) => candidate.metadata.name === pod)?.spec as { containers?: { ports?: { containerPort?: number }[] }[] } | undefined;
    const hasTlsPort = spec?.containers?.some((container) => container.ports?.some((port) => port.containerPort === REDIS_TLS_PORT)) === true;
    return {
      host: this.podAddress(names.namespace, names.cluster, pod),
      port: REDIS_PORT,
      username: USERS.operator,
      password: prepared.passwords.operator,
      ...(ca ? { tls: { ca, port: REDIS_TLS_PORT, plaintextFallback: spec !== undefined && !hasTlsPort } } : {}),
    };
  }

  async prepare(context: EngineContext): Promise<RedisPrepared> {
    const input = { cluster: context.cluster, spec: context.spec };
    const names = redisNames(context.cluster);
    const passwords = passwordsFrom(await ensureSecret(context.client, credentialsSecretOptions(input), context.cache));
    return { passwords, ...(await readClusterState(context, names, podSelector(context.cluster))) };
  }

  /**
   * Apply order: the auth Secret and the ConfigMap before the StatefulSet (pods mount them),
   * Services before pods need their names. The credentials Secret was ensured in prepare
   * (ensured, not applied, so existing passwords are never replaced).
   */
  desiredObjects(context: EngineContext, prepared: RedisPrepared): KubeObject[] {
    const input = { cluster: context.cluster, spec: context.spec };
    const existingClaimSize = claimTemplateSize(prepared.existingStatefulSet);
    const objects: (KubeObject | undefined)[] = [
      buildAuthSecret(input, prepared.passwords),
      buildConfigMap(input),
      buildHeadlessService(input),
      buildPrimaryService(input),
      buildReplicasService(input),
      buildPodDisruptionBudget(input),
      buildStatefulSet({
        ...input,
        usersConf: buildUsersConf(context.spec.username, prepared.passwords),
        agentImage: this.agentImage,
        engineImage: this.options.engineImage?.(context.spec) ?? defaultEngineImage(context.spec),
        existingClaimSize,
      }),
    ];
    return objects.filter((object): object is KubeObject => object !== undefined);
  }

  /**
   * With TLS the Secret names the TLS port, a `rediss://` URI and ca.crt (clients verify the
   * server with it); the plaintext port stays open beside it unless spec.tls.required.
   */
  connection(context: EngineContext, prepared: RedisPrepared): ConnectionInfo {
    const names = redisNames(context.cluster);
    const password = prepared.passwords.app;
    const port = context.tls ? REDIS_TLS_PORT : REDIS_PORT;
    return {
      host: names.primaryHost,
      readOnlyHost: names.replicasHost,
      port,
      username: context.spec.username,
      password,
      uri: `${context.tls ? "rediss" : "redis"}://${encodeURIComponent(context.spec.username)}:${encodeURIComponent(password)}@${names.primaryHost}:${port}/0`,
      ca: context.tls?.caPem || undefined,
    };
  }

  endpoints(context: EngineContext): { primary?: string; readOnly?: string } {
    const names = redisNames(context.cluster);
    const port = context.tls ? REDIS_TLS_PORT : REDIS_PORT;
    return { primary: `${names.primaryHost}:${port}`, readOnly: `${names.replicasHost}:${port}` };
  }

  observe(context: EngineContext, prepared: RedisPrepared): Promise<RedisObservation> {
    const count = statefulSetReplicas({ cluster: context.cluster, spec: context.spec });
    return observeCluster(context, prepared.pods, count, (pod) => this.endpoint(context, prepared, pod), (pod) => this.podAddress(context.cluster.metadata.namespace ?? "default", context.cluster.metadata.name, pod));
  }

  heal(context: EngineContext, prepared: RedisPrepared, observation: Observation): Promise<HealOutcome> {
    return healCluster(this, context, prepared, observation as RedisObservation);
  }
}

export function redisEngine(options: RedisEngineOptions = {}): RedisEngine {
  return new RedisEngine(options);
}
