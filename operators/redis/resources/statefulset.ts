import type { V1Container, V1EnvVar, V1VolumeMount } from "@kubernetes/client-node";
import type { KubeObject } from "../../../shared/k8s/client.js";
import { bootstrapSecretName } from "../../../backup/cluster-secrets.js";
import type { BuildInput } from "../../common/resources/build-input.js";
import { fieldEnv, serverProbes } from "../../common/resources/containers.js";
import { buildClusterStatefulSet, podTemplateAnnotations, spreadOverNodes } from "../../common/resources/statefulset.js";
import { statefulSetReplicas } from "../../common/scale-in.js";
import { tlsSecretName } from "../../cluster/tls.js";
import { buildProbeCommand, buildRedisConf, buildStartCommand, configHash, replicationPort, tlsEnabled } from "../config.js";
import { REDIS_PATHS, clusterLabels, podSelector, redisNames, servicePorts } from "../names.js";
import { AUTH_KEYS } from "./auth-secret.js";
import { CONFIG_KEYS } from "./config-map.js";
import { buildRedisExporter } from "./metrics-exporter.js";
import { pinnedEngineImage } from "../../common/engine-image.js";

export const ENGINE_CONTAINER = "redis";
export const RESTORE_CONTAINER = "restore";

/** uid/gid of the `redis` user in the official redis image. */
const REDIS_UID = 999;

export interface StatefulSetInput extends BuildInput {
  /** The users file's content (from the auth Secret): its hash restarts pods when users change. */
  usersConf: string;
  /** The engine image; default redis:<pinned patch of spec.version> (see PINNED_VERSIONS). */
  engineImage?: string;
  /** The steward image whose `steward agent redis-restore` seeds a new cluster from a backup. */
  agentImage: string;
  /**
   * The claim size the existing StatefulSet was created with: volumeClaimTemplates cannot
   * change in place, so growth patches each PVC (heal) and the template keeps its size.
   */
  existingClaimSize?: string;
}

/** The patch release each supported minor version runs (see common/engine-image.ts). */
export const PINNED_VERSIONS: Readonly<Record<string, string>> = { "6.2": "6.2.16", "7.0": "7.0.15", "7.2": "7.2.5" };

export function defaultEngineImage(spec: BuildInput["spec"]): string {
  return pinnedEngineImage("redis", spec.version, PINNED_VERSIONS);
}

/**
 * The StatefulSet of Redis pods (Parallel, OnDelete, one data claim per pod: see
 * common/resources/statefulset.ts). For Redis:
 * - the operator decides roles itself and rolls pods replicas first, then a switchover, then
 *   the old primary.
 * - Role labels are not in the template: the operator sets steward.dev/role on the pods.
 * - Everything redis-server writes is on the PVC at /data; redis.conf is read-only (a
 *   ConfigMap), the users file a Secret: the server never rewrites its config.
 * - With spec.bootstrap, an init step places the backup's RDB in ordinal 0's empty data dir
 *   before the server starts (replicas then copy from it).
 * - With spec.tls.enabled, `<cluster>-tls` is mounted (read by redis-server, the probes and the
 *   exporter); a renewed certificate arrives in the volume and is reloaded without a restart.
 */
export function buildStatefulSet(input: StatefulSetInput): KubeObject {
  const { cluster, spec } = input;
  const names = redisNames(cluster);
  const labels = clusterLabels(cluster, "database");

  const identityEnv: V1EnvVar[] = [
    fieldEnv("POD_NAME", "metadata.name"),
    fieldEnv("POD_NAMESPACE", "metadata.namespace"),
    fieldEnv("POD_IP", "status.podIP"),
    { name: "STEWARD_HEADLESS_SERVICE", value: names.headless },
  ];
  const volumeMounts: V1VolumeMount[] = [
    { name: "data", mountPath: REDIS_PATHS.data },
    { name: "config", mountPath: REDIS_PATHS.configDir, readOnly: true },
    { name: "auth", mountPath: REDIS_PATHS.authDir, readOnly: true },
  ];
  const tls = tlsEnabled(spec);
  const tlsMount = { name: "tls", mountPath: REDIS_PATHS.tlsDir, readOnly: true };
  if (tls) volumeMounts.push(tlsMount);
  const ports = servicePorts(spec).map(({ name, port }) => ({ name, containerPort: port, protocol: "TCP" }));

  const engine: V1Container = {
    name: ENGINE_CONTAINER,
    image: input.engineImage ?? defaultEngineImage(spec),
    command: buildStartCommand(names.primaryServiceFqdn, replicationPort(spec)),
    env: identityEnv,
    ports,
    // Readiness: PONG (not LOADING); liveness and startup accept LOADING. Role and replication
    // health are the operator's to judge.
    ...serverProbes(buildProbeCommand("readiness", tls), buildProbeCommand("liveness", tls)),
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
      envFrom: [{ secretRef: { name: bootstrapSecretName(cluster) } }],
      securityContext: { runAsUser: REDIS_UID, runAsGroup: REDIS_UID, allowPrivilegeEscalation: false },
      volumeMounts: [{ name: "data", mountPath: REDIS_PATHS.data }],
    });
  }

  return buildClusterStatefulSet(input, {
    name: names.statefulSet,
    serviceName: names.headless,
    replicas: statefulSetReplicas(input),
    labels,
    selector: podSelector(cluster),
    podAnnotations: podTemplateAnnotations(input, configHash(buildRedisConf(spec), input.usersConf)),
    pod: {
      enableServiceLinks: false,
      // A clean shutdown writes the final AOF/RDB; a large dataset needs the time.
      terminationGracePeriodSeconds: 60,
      securityContext: { fsGroup: REDIS_UID, runAsUser: REDIS_UID, runAsGroup: REDIS_UID },
      affinity: spreadOverNodes(podSelector(cluster)),
      ...(initContainers.length > 0 ? { initContainers } : {}),
      containers: [engine, buildRedisExporter(names.credentials, tls ? { podHost: names.podHost("$(POD_NAME)"), mount: tlsMount } : undefined)],
      volumes: [
        { name: "config", configMap: { name: names.configMap, items: [{ key: CONFIG_KEYS.redisConf, path: "redis.conf" }] } },
        { name: "auth", secret: { secretName: names.auth, defaultMode: 0o440, items: [{ key: AUTH_KEYS.users, path: "users.conf" }] } },
        ...(tls ? [{ name: "tls", secret: { secretName: tlsSecretName(cluster), defaultMode: 0o440 } }] : []),
      ],
    },
    existingClaimSize: input.existingClaimSize,
  });
}
