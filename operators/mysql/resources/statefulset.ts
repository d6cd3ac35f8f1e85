import type { V1Container, V1EnvVar } from "@kubernetes/client-node";
import type { KubeObject } from "../../../shared/k8s/client.js";
import { AGENT_TOKEN_ENV } from "../../common/agent-sidecar.js";
import { bootstrapSecretName } from "../../../backup/cluster-secrets.js";
import type { BuildInput } from "../../common/resources/build-input.js";
import { agentSidecar, fieldEnv, secretEnv, serverProbes } from "../../common/resources/containers.js";
import { buildClusterStatefulSet, podTemplateAnnotations, spreadOverNodes } from "../../common/resources/statefulset.js";
import { statefulSetReplicas } from "../../common/scale-in.js";
import { buildMyCnf, buildStartScript, configHash } from "../config.js";
import { AGENT_PORT, CREDENTIAL_KEYS, MYSQL_PATHS, MYSQL_PORT, clusterLabels, mysqlNames, podSelector } from "../names.js";
import { tlsSecretName } from "../../cluster/tls-secret-name.js";
import { CONFIG_KEYS } from "./config-map.js";
import { buildMysqldExporter } from "./metrics-exporter.js";
import { pinnedEngineImage } from "../../common/engine-image.js";

export const ENGINE_CONTAINER = "database";
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
   * maintenance.ts for how the template is brought up to date).
   */
  existingClaimSize?: string;
  /** Extra containers beside the engine, e.g. the backup engineer's binlog archiver. */
  extraContainers?: V1Container[];
}

/** The patch release each supported minor version runs (see common/engine-image.ts). */
export const PINNED_VERSIONS = {
  mariadb: { "10.11": "10.11.14", "11.4": "11.4.8" },
  mysql: { "8.4": "8.4.6" },
} as const;

export function defaultEngineImage(spec: BuildInput["spec"]): string {
  const repository = spec.flavor === "mariadb" ? "mariadb" : "mysql";
  return pinnedEngineImage(repository, spec.version, PINNED_VERSIONS[repository]);
}

/**
 * The StatefulSet of database pods (Parallel, OnDelete, one data claim per pod: see
 * common/resources/statefulset.ts). For MySQL:
 * - replicas wait in their init step for a primary to copy from; the operator rolls pods
 *   replicas first, then a switchover, then the old primary (the StatefulSet controller would
 *   restart the primary whenever its ordinal came up);
 * - role labels are not in the template: the operator sets steward.dev/role on the pods;
 * - scaling in keeps the claims: a scale-out reuses the data and catches up.
 */
export function buildStatefulSet(input: StatefulSetInput): KubeObject {
  const { cluster, spec } = input;
  const names = mysqlNames(cluster);
  const mariadb = spec.flavor === "mariadb";
  const labels = clusterLabels(cluster, spec, "database");

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
    ...(spec.tls.enabled ? [{ name: "tls", mountPath: MYSQL_PATHS.tlsDir, readOnly: true }] : []),
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
      secretEnv(AGENT_TOKEN_ENV, names.credentials, CREDENTIAL_KEYS.agent),
    ],
    // spec.bootstrap: the source storage and the resolved source, written by backup/ (controllers/bootstrap-secret.ts).
    ...(spec.bootstrap ? { envFrom: [{ secretRef: { name: bootstrapSecretName(cluster) } }] } : {}),
    volumeMounts,
  };

  const engine: V1Container = {
    name: ENGINE_CONTAINER,
    image: input.engineImage,
    command: ["sh", MYSQL_PATHS.startScript],
    env: identityEnv.filter((variable) => variable.name === "POD_NAME" || variable.name === "POD_IP"),
    ports: [{ name: "mysql", containerPort: MYSQL_PORT, protocol: "TCP" }],
    // The server answers (ping succeeds even when access is denied). Role and replication
    // health are the operator's to judge; it reads them over SQL.
    ...serverProbes(ping, ping),
    resources: spec.resources as V1Container["resources"],
    securityContext: { runAsUser: MYSQL_UID, runAsGroup: MYSQL_UID, allowPrivilegeEscalation: false },
    volumeMounts,
  };

  const agent = agentSidecar({
    image: input.agentImage,
    command: ["steward", "agent", "mysql-sidecar"],
    env: [...identityEnv, secretEnv("STEWARD_ROOT_PASSWORD", names.credentials, CREDENTIAL_KEYS.root)],
    token: { secret: names.credentials, key: CREDENTIAL_KEYS.agent },
    port: AGENT_PORT,
    probePort: AGENT_PORT,
    probePeriodSeconds: 2,
    cpuRequest: "50m",
    volumeMounts,
  });

  return buildClusterStatefulSet(input, {
    name: names.statefulSet,
    serviceName: names.headless,
    replicas: statefulSetReplicas(input),
    labels,
    selector: podSelector(cluster),
    podAnnotations: podTemplateAnnotations(input, configHash(buildMyCnf(spec), buildStartScript(spec))),
    pod: {
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 60,
      securityContext: { fsGroup: MYSQL_UID, runAsUser: MYSQL_UID, runAsGroup: MYSQL_UID },
      affinity: spreadOverNodes(podSelector(cluster)),
      initContainers: [init],
      containers: [engine, agent, buildMysqldExporter(names.credentials), ...(input.extraContainers ?? [])],
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
        // Group-readable through fsGroup: the key must not be world-readable, and the server runs as mysql.
        ...(spec.tls.enabled ? [{ name: "tls", secret: { secretName: tlsSecretName(cluster), defaultMode: 0o440 } }] : []),
      ],
    },
    existingClaimSize: input.existingClaimSize,
  });
}
