import type { V1Container, V1EnvVar, V1StatefulSet } from "@kubernetes/client-node";
import { ANNOTATIONS } from "../../../shared/api/index.js";
import type { KubeObject } from "../../../shared/k8s/client.js";
import { owned, type BuildInput } from "../../mysql/resources/common.js";
import { podSelector } from "../../mysql/names.js";
import { statefulSetReplicas } from "../../mysql/resources/statefulset.js";
import { buildProbeCommand, buildRedisConf, buildStartCommand, configHash } from "../config.js";
import { REDIS_PATHS, REDIS_PORT, clusterLabels, redisNames } from "../names.js";
import { AUTH_KEYS } from "./auth-secret.js";
import { CONFIG_KEYS } from "./config-map.js";

export const CONFIG_HASH_ANNOTATION = "steward.dev/config-hash";
export const ENGINE_CONTAINER = "redis";
export const RESTORE_CONTAINER = "restore";

/** uid/gid of the `redis` user in the official redis image. */
const REDIS_UID = 999;

export interface StatefulSetInput extends BuildInput {
  /** The users file's content (from the auth Secret): its hash restarts pods when users change. */
  usersConf: string;
  /** The engine image; default redis:<spec.version>. */
  engineImage?: string;
  /** The steward image whose `steward agent redis-restore` seeds a new cluster from a backup. */
  agentImage: string;
  /**
   * The claim size the existing StatefulSet was created with: volumeClaimTemplates cannot
   * change in place, so growth patches each PVC (heal) and the template keeps its size.
   */
  existingClaimSize?: string;
}

export function defaultEngineImage(spec: BuildInput["spec"]): string {
  return `redis:${spec.version}`;
}

function fieldEnv(name: string, fieldPath: string): V1EnvVar {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

/**
 * The StatefulSet of Redis pods. Choices, and why:
 * - podManagementPolicy Parallel: the operator decides roles itself; OrderedReady would keep
 *   pod 2 from being recreated while pod 0 is down, which is exactly when it is needed.
 * - updateStrategy OnDelete: the operator rolls pods itself, replicas first, then a
 *   switchover, then the old primary.
 * - Role labels are not in the template: the operator sets steward.dev/role on the pods.
 * - Everything redis-server writes is on the PVC at /data; redis.conf is read-only (a
 *   ConfigMap), the users file a Secret: the server never rewrites its config.
 * - With spec.bootstrap, an init step places the backup's RDB in ordinal 0's empty data dir
 *   before the server starts (replicas then copy from it).
 */
export function buildStatefulSet(input: StatefulSetInput): KubeObject {
  const { cluster, spec } = input;
  const names = redisNames(cluster);
  const labels = clusterLabels(cluster, "database");
  const podAnnotations: Record<string, string> = { [CONFIG_HASH_ANNOTATION]: configHash(buildRedisConf(spec), input.usersConf) };
  const restartedAt = cluster.metadata.annotations?.[ANNOTATIONS.restartedAt];
  if (restartedAt) podAnnotations[ANNOTATIONS.restartedAt] = restartedAt;

  const identityEnv: V1EnvVar[] = [
    fieldEnv("POD_NAME", "metadata.name"),
    fieldEnv("POD_NAMESPACE", "metadata.namespace"),
    fieldEnv("POD_IP", "status.podIP"),
    { name: "STEWARD_HEADLESS_SERVICE", value: names.headless },
  ];
  const volumeMounts = [
    { name: "data", mountPath: REDIS_PATHS.data },
    { name: "config", mountPath: REDIS_PATHS.configDir, readOnly: true },
    { name: "auth", mountPath: REDIS_PATHS.authDir, readOnly: true },
  ];

  const engine: V1Container = {
    name: ENGINE_CONTAINER,
    image: input.engineImage ?? defaultEngineImage(spec),
    command: buildStartCommand(names.primaryServiceFqdn),
    env: identityEnv,
    ports: [{ name: "redis", containerPort: REDIS_PORT, protocol: "TCP" }],
    // Readiness: PONG (not LOADING). Role and replication health are the operator's to judge.
    readinessProbe: { exec: { command: buildProbeCommand("readiness") }, periodSeconds: 1, timeoutSeconds: 2, failureThreshold: 1, successThreshold: 1 },
    // Generous: loading a large dataset must not be cut short.
    startupProbe: { exec: { command: buildProbeCommand("liveness") }, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 900 },
    livenessProbe: { exec: { command: buildProbeCommand("liveness") }, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 6 },
    resources: spec.resources as V1Container["resources"],
    securityContext: { runAsUser: REDIS_UID, runAsGroup: REDIS_UID, allowPrivilegeEscalation: false },
    volumeMounts,
  };

  const initContainers: V1Container[] = [];
  if (spec.bootstrap) {
    initContainers.push({
      name: RESTORE_CONTAINER,
      image: input.agentImage,
      command: ["steward", "agent", "redis-restore", "--data-dir", REDIS_PATHS.data],
      env: identityEnv,
      // Where the backup is: written by backup/'s controllers from spec.bootstrap (controllers/bootstrap-secret.ts).
      envFrom: [{ secretRef: { name: `${names.cluster}-bootstrap` } }],
      securityContext: { runAsUser: REDIS_UID, runAsGroup: REDIS_UID, allowPrivilegeEscalation: false },
      volumeMounts: [{ name: "data", mountPath: REDIS_PATHS.data }],
    });
  }

  const statefulSet: V1StatefulSet = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: names.statefulSet, namespace: names.namespace, labels },
    spec: {
      serviceName: names.headless,
      replicas: statefulSetReplicas(input),
      podManagementPolicy: "Parallel",
      updateStrategy: { type: "OnDelete" },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: spec.deletionPolicy === "DeleteData" ? "Delete" : "Retain", whenScaled: "Retain" },
      selector: { matchLabels: podSelector(cluster) },
      template: {
        metadata: { labels, annotations: podAnnotations },
        spec: {
          enableServiceLinks: false,
          // A clean shutdown writes the final AOF/RDB; a large dataset needs the time.
          terminationGracePeriodSeconds: 60,
          securityContext: { fsGroup: REDIS_UID, runAsUser: REDIS_UID, runAsGroup: REDIS_UID },
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: podSelector(cluster) } } },
              ],
            },
          },
          ...(initContainers.length > 0 ? { initContainers } : {}),
          containers: [engine],
          volumes: [
            { name: "config", configMap: { name: names.configMap, items: [{ key: CONFIG_KEYS.redisConf, path: "redis.conf" }] } },
            { name: "auth", secret: { secretName: names.auth, defaultMode: 0o440, items: [{ key: AUTH_KEYS.users, path: "users.conf" }] } },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          metadata: { name: "data", labels },
          spec: {
            accessModes: ["ReadWriteOnce"],
            storageClassName: spec.storage.storageClassName,
            resources: { requests: { storage: input.existingClaimSize ?? String(spec.storage.size) } },
          },
        },
      ],
    },
  };
  return owned(input, statefulSet as unknown as KubeObject);
}
