import type { V1Container, V1EnvVar, V1Probe } from "@kubernetes/client-node";
import type { EffectiveSpec } from "../../../shared/api/index.js";
import type { KubeObject } from "../../../shared/k8s/client.js";
import { AGENT_PROCESS_ENV } from "../../../backup/agent/image.js";
import { bootstrapSecretName } from "../../../backup/cluster-secrets.js";
import type { BuildInput } from "../../common/resources/build-input.js";
import { agentSidecar, fieldEnv, secretEnv } from "../../common/resources/containers.js";
import { buildClusterStatefulSet, podTemplateAnnotations, spreadOverNodes } from "../../common/resources/statefulset.js";
import { statefulSetReplicas } from "../../common/scale-in.js";
import { AGENT_PORT, ADMIN_USER, CREDENTIAL_KEYS, KEYFILE_KEY, MONGODB_PATHS, MONGODB_PORT, MONGODB_UID, clusterLabels, mongodbNames, podSelector } from "../names.js";

export const ENGINE_CONTAINER = "mongod";
export const KEYFILE_CONTAINER = "keyfile";

/**
 * The official image's tags Steward runs, pinned to a patch release so every pod of a cluster
 * runs the same build (a moving `mongo:7.0` would mix patch levels across restarts). A
 * spec.version with a patch level (`7.0.12`) picks that tag instead.
 */
export const PINNED_IMAGES: Readonly<Record<string, string>> = { "7.0": "mongo:7.0.14", "8.0": "mongo:8.0.4" };
export const SUPPORTED_VERSION = /^(7\.0|8\.0)(\.[0-9]+)?$/;

export function defaultEngineImage(spec: Pick<EffectiveSpec, "version">): string {
  return PINNED_IMAGES[spec.version] ?? `mongo:${spec.version}`;
}

export interface StatefulSetInput extends BuildInput {
  engineImage?: string;
  /** The steward image: its agent runs beside mongod (health, oplog archiving). */
  agentImage: string;
  existingClaimSize?: string;
  /** Containers added beside mongod and the agent (the oplog archiver). */
  extraContainers?: V1Container[];
}

/** mongod's arguments: everything a member needs is on the command line (no config file to drift). */
export function mongodArgs(replicaSet: string): string[] {
  return [
    "mongod",
    "--replSet",
    replicaSet,
    // The keyfile turns on internal authentication between members and implies --auth; both are
    // spelled out so a reader of the pod spec sees them.
    "--keyFile",
    MONGODB_PATHS.keyfile,
    "--auth",
    "--bind_ip_all",
    "--port",
    String(MONGODB_PORT),
    "--dbpath",
    MONGODB_PATHS.data,
  ];
}

/** `ping` needs no authentication, so the probe holds no secret; mongosh ships in the official image since 6.0. */
function pingProbe(periodSeconds: number, failureThreshold: number): V1Probe {
  return { exec: { command: ["mongosh", "--norc", "--quiet", "--port", String(MONGODB_PORT), "--eval", "quit(db.adminCommand({ ping: 1 }).ok === 1 ? 0 : 1)"] }, periodSeconds, timeoutSeconds: 5, failureThreshold };
}

/**
 * The StatefulSet of mongod members (Parallel, OnDelete, one data claim per pod: see
 * common/resources/statefulset.ts). For MongoDB:
 * - MongoDB elects the primary; the operator follows it and puts the role label on pods.
 * - The keyfile Secret is mounted group-readable (fsGroup), which mongod refuses ("permissions
 *   too open"): an init container copies it to a private emptyDir with mode 0400.
 * - Readiness runs mongosh (about a second of CPU), so it runs every 5 s, not every second;
 *   liveness and startup only need the port open (startup allows 30 minutes of recovery).
 */
export function buildStatefulSet(input: StatefulSetInput): KubeObject {
  const { cluster, spec } = input;
  const names = mongodbNames(cluster);
  const labels = clusterLabels(cluster, "database");
  const image = input.engineImage ?? defaultEngineImage(spec);
  const securityContext = { runAsUser: MONGODB_UID, runAsGroup: MONGODB_UID, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
  const identityEnv: V1EnvVar[] = [fieldEnv("POD_NAME", "metadata.name"), fieldEnv("POD_NAMESPACE", "metadata.namespace"), { name: "STEWARD_HEADLESS_SERVICE", value: names.headless }];

  const keyfile: V1Container = {
    name: KEYFILE_CONTAINER,
    image,
    command: ["sh", "-c", `cp ${MONGODB_PATHS.keyfileSecretDir}/${KEYFILE_KEY} ${MONGODB_PATHS.keyfile} && chmod 0400 ${MONGODB_PATHS.keyfile}`],
    securityContext,
    volumeMounts: [
      { name: "keyfile-secret", mountPath: MONGODB_PATHS.keyfileSecretDir, readOnly: true },
      { name: "keyfile", mountPath: MONGODB_PATHS.keyfileDir },
    ],
  };

  const engine: V1Container = {
    name: ENGINE_CONTAINER,
    image,
    command: mongodArgs(names.replicaSet),
    ports: [{ name: "mongodb", containerPort: MONGODB_PORT, protocol: "TCP" }],
    readinessProbe: pingProbe(5, 2),
    startupProbe: { tcpSocket: { port: MONGODB_PORT }, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 900 },
    livenessProbe: { tcpSocket: { port: MONGODB_PORT }, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 6 },
    resources: spec.resources as V1Container["resources"],
    securityContext,
    volumeMounts: [
      { name: "data", mountPath: MONGODB_PATHS.data },
      { name: "keyfile", mountPath: MONGODB_PATHS.keyfileDir, readOnly: true },
    ],
  };

  const agentContainer = agentSidecar({
    image: input.agentImage,
    command: ["steward", "agent", "mongodb-sidecar"],
    env: [...identityEnv, ...AGENT_PROCESS_ENV, { name: "STEWARD_MONGODB_USER", value: ADMIN_USER }, { name: "STEWARD_MONGODB_REPLICA_SET", value: names.replicaSet }, secretEnv("STEWARD_MONGODB_PASSWORD", names.credentials, CREDENTIAL_KEYS.admin)],
    token: { secret: names.credentials, key: CREDENTIAL_KEYS.agent },
    port: AGENT_PORT,
    probePort: AGENT_PORT,
    probePeriodSeconds: 2,
    cpuRequest: "50m",
    securityContext,
    volumeMounts: [],
  });
  // spec.bootstrap: the source storage and the resolved source, written by backup/ (controllers/bootstrap-secret.ts); the first member's agent loads it.
  const agent: V1Container = spec.bootstrap ? { ...agentContainer, envFrom: [{ secretRef: { name: bootstrapSecretName(cluster) } }] } : agentContainer;

  return buildClusterStatefulSet(input, {
    name: names.statefulSet,
    serviceName: names.headless,
    replicas: statefulSetReplicas(input),
    labels,
    selector: podSelector(cluster),
    podAnnotations: podTemplateAnnotations(input, mongodArgs(names.replicaSet).join(" ")),
    pod: {
      enableServiceLinks: false,
      // mongod's clean shutdown (a secondary catches up, a primary hands over) can take a while.
      terminationGracePeriodSeconds: 60,
      securityContext: { fsGroup: MONGODB_UID, runAsUser: MONGODB_UID, runAsGroup: MONGODB_UID, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      affinity: spreadOverNodes(podSelector(cluster)),
      initContainers: [keyfile],
      containers: [engine, agent, ...(input.extraContainers ?? [])],
      volumes: [
        { name: "keyfile-secret", secret: { secretName: names.keyfile, defaultMode: 0o400, items: [{ key: KEYFILE_KEY, path: KEYFILE_KEY }] } },
        { name: "keyfile", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
      ],
    },
    existingClaimSize: input.existingClaimSize,
  });
}
