import type { V1Container, V1EnvVar, V1StatefulSet } from "@kubernetes/client-node";
import { ANNOTATIONS } from "../../../shared/api/index.js";
import type { KubeObject } from "../../../shared/k8s/client.js";
import { buildMyCnf, buildStartScript, configHash } from "../config.js";
import { AGENT_PORT, CREDENTIAL_KEYS, MYSQL_PATHS, MYSQL_PORT, clusterLabels, mysqlNames, ordinalOf, podSelector } from "../names.js";
import { CONFIG_KEYS } from "./config-map.js";
import { owned, type BuildInput } from "./common.js";

export const CONFIG_HASH_ANNOTATION = "steward.dev/config-hash";
export const ENGINE_CONTAINER = "database";
export const AGENT_CONTAINER = "agent";
export const INIT_CONTAINER = "init";

/** uid/gid of the `mysql` user in the official mariadb and mysql images. */
const MYSQL_UID = 999;

export interface StatefulSetInput extends BuildInput {
  /** The engine image, e.g. mariadb:10.11 (from the flavour and version unless overridden). */
  engineImage: string;
  /** The steward image whose `steward agent` runs the init step and the sidecar. */
  agentImage: string;
  /**
   * The claim size the existing StatefulSet was created with: volumeClaimTemplates cannot
   * change in place, so growth patches each PVC and keeps the template as it was (see
   * storage.ts for how the template is brought up to date).
   */
  existingClaimSize?: string;
  /** Extra containers beside the engine, e.g. the backup engineer's binlog archiver. */
  extraContainers?: V1Container[];
}

export function defaultEngineImage(spec: BuildInput["spec"]): string {
  return `${spec.flavor === "mariadb" ? "mariadb" : "mysql"}:${spec.version}`;
}

/**
 * How many pods the StatefulSet keeps: spec.replicas, but never fewer than the primary's
 * ordinal + 1. Scaling in removes the highest ordinals, so a primary among them is first
 * switched over to a lower one (heal does that) and only then removed.
 */
export function statefulSetReplicas(input: BuildInput): number {
  const primary = input.cluster.status?.currentPrimary;
  let floor = 0;
  if (primary) {
    try {
      floor = ordinalOf(primary) + 1;
    } catch {
      floor = 0;
    }
  }
  return Math.max(input.spec.replicas, floor);
}

function secretEnv(name: string, secret: string, key: string): V1EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secret, key } } };
}

function fieldEnv(name: string, fieldPath: string): V1EnvVar {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

/**
 * The StatefulSet of database pods. Choices, and why:
 * - podManagementPolicy Parallel: the operator orders things itself (replicas wait in their
 *   init step for a primary to copy from). OrderedReady would keep pod 2 from being recreated
 *   while pod 0 is down, which is exactly when the cluster needs it (failover, full crash).
 * - updateStrategy OnDelete: the operator rolls pods itself, replicas first, then a
 *   switchover, then the old primary; the StatefulSet controller would restart the primary
 *   whenever its ordinal came up.
 * - Role labels are not in the template: the operator sets steward.dev/role on the pods.
 * - PVCs: deletionPolicy RetainData keeps them when the cluster is deleted, DeleteData
 *   removes them; scaling in always keeps them (a scale-out reuses the data and catches up).
 */
export function buildStatefulSet(input: StatefulSetInput): KubeObject {
  const { cluster, spec } = input;
  const names = mysqlNames(cluster);
  const mariadb = spec.flavor === "mariadb";
  const labels = clusterLabels(cluster, spec, "database");
  const hash = configHash(buildMyCnf(spec), buildStartScript(spec));
  const podAnnotations: Record<string, string> = { [CONFIG_HASH_ANNOTATION]: hash };
  const restartedAt = cluster.metadata.annotations?.[ANNOTATIONS.restartedAt];
  if (restartedAt) podAnnotations[ANNOTATIONS.restartedAt] = restartedAt;

  const identityEnv: V1EnvVar[] = [
    fieldEnv("POD_NAME", "metadata.name"),
    fieldEnv("POD_NAMESPACE", "metadata.namespace"),
    fieldEnv("POD_IP", "status.podIP"),
    { name: "STEWARD_CLUSTER", value: names.cluster },
    { name: "STEWARD_FLAVOR", value: spec.flavor ?? "mysql" },
    { name: "STEWARD_HEADLESS_SERVICE", value: names.headless },
    { name: "STEWARD_PRIMARY_SERVICE", value: names.primaryService },
  ];
  const volumeMounts = [
    { name: "data", mountPath: MYSQL_PATHS.base },
    { name: "config", mountPath: MYSQL_PATHS.configDir, readOnly: true },
    { name: "run", mountPath: MYSQL_PATHS.runDir },
    { name: "tmp", mountPath: MYSQL_PATHS.tmpDir },
  ];
  const ping = ["sh", "-c", `${mariadb ? "mariadb-admin" : "mysqladmin"} --defaults-file=${MYSQL_PATHS.configFile} ping >/dev/null 2>&1`];

  const init: V1Container = {
    name: INIT_CONTAINER,
    image: input.agentImage,
    command: ["steward", "agent", "mysql-init"],
    env: [
      ...identityEnv,
      { name: "STEWARD_BOOTSTRAPPED", valueFrom: { configMapKeyRef: { name: names.configMap, key: CONFIG_KEYS.bootstrapped, optional: true } } },
      ...(spec.bootstrap ? [{ name: "STEWARD_BOOTSTRAP_SOURCE", value: JSON.stringify(spec.bootstrap.source) }] : []),
      secretEnv("STEWARD_ROOT_PASSWORD", names.credentials, CREDENTIAL_KEYS.root),
      secretEnv("STEWARD_REPLICATION_PASSWORD", names.credentials, CREDENTIAL_KEYS.replication),
      secretEnv("STEWARD_MONITOR_PASSWORD", names.credentials, CREDENTIAL_KEYS.monitor),
      secretEnv("STEWARD_AGENT_TOKEN", names.credentials, CREDENTIAL_KEYS.agent),
    ],
    // spec.bootstrap: the source storage and the resolved source, written by backup/ (controllers/bootstrap-secret.ts).
    ...(spec.bootstrap ? { envFrom: [{ secretRef: { name: `${names.cluster}-bootstrap` } }] } : {}),
    volumeMounts,
  };

  const engine: V1Container = {
    name: ENGINE_CONTAINER,
    image: input.engineImage,
    command: ["sh", MYSQL_PATHS.startScript],
    env: identityEnv.filter((variable) => variable.name === "POD_NAME" || variable.name === "POD_IP"),
    ports: [{ name: "mysql", containerPort: MYSQL_PORT, protocol: "TCP" }],
    // Readiness: the server answers (ping succeeds even when access is denied). Role and
    // replication health are the operator's to judge; it reads them over SQL.
    readinessProbe: { exec: { command: ping }, periodSeconds: 1, timeoutSeconds: 2, failureThreshold: 1, successThreshold: 1 },
    // Generous: crash recovery of a large instance must not be cut short.
    startupProbe: { exec: { command: ping }, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 900 },
    livenessProbe: { exec: { command: ping }, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 6 },
    resources: spec.resources as V1Container["resources"],
    securityContext: { runAsUser: MYSQL_UID, runAsGroup: MYSQL_UID, allowPrivilegeEscalation: false },
    volumeMounts,
  };

  const agent: V1Container = {
    name: AGENT_CONTAINER,
    image: input.agentImage,
    command: ["steward", "agent", "mysql-sidecar"],
    env: [...identityEnv, secretEnv("STEWARD_ROOT_PASSWORD", names.credentials, CREDENTIAL_KEYS.root), secretEnv("STEWARD_AGENT_TOKEN", names.credentials, CREDENTIAL_KEYS.agent)],
    ports: [{ name: "agent", containerPort: AGENT_PORT, protocol: "TCP" }],
    readinessProbe: { httpGet: { path: "/healthz", port: AGENT_PORT }, periodSeconds: 2, timeoutSeconds: 2 },
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
    volumeMounts,
  };

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
          terminationGracePeriodSeconds: 60,
          securityContext: { fsGroup: MYSQL_UID, runAsUser: MYSQL_UID, runAsGroup: MYSQL_UID },
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: podSelector(cluster) } } },
              ],
            },
          },
          initContainers: [init],
          containers: [engine, agent, ...(input.extraContainers ?? [])],
          volumes: [
            {
              name: "config",
              configMap: {
                name: names.configMap,
                items: [
                  { key: CONFIG_KEYS.myCnf, path: "my.cnf" },
                  { key: CONFIG_KEYS.startScript, path: "start.sh" },
                ],
              },
            },
            { name: "run", emptyDir: {} },
            { name: "tmp", emptyDir: {} },
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
