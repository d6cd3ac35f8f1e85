import type { V1Container, V1EnvVar, V1Volume, V1VolumeMount } from "@kubernetes/client-node";
import type { KubeObject } from "../../../shared/k8s/client.js";
import type { BuildInput } from "../../common/resources/build-input.js";
import { agentSidecar } from "../../common/resources/containers.js";
import { buildClusterStatefulSet, podTemplateAnnotations, spreadOverNodes } from "../../common/resources/statefulset.js";
import {
  CONFIG_FILES,
  buildEnabledPlugins,
  buildPreStopScript,
  buildSetupScript,
  buildStewardConf,
  buildUserConf,
  configHash,
  erlangVmArgs,
} from "../config.js";
import { COOKIE_KEY, CREDENTIAL_KEYS, PORTS, RABBITMQ_PATHS, clusterLabels, podSelector, rabbitmqNames } from "../names.js";
import { pinnedEngineImage } from "../../common/engine-image.js";
import { tlsSecretName } from "../../cluster/tls.js";

export const ENGINE_CONTAINER = "rabbitmq";
export const SETUP_CONTAINER = "setup";

/** uid/gid of the rabbitmq user in the official image. */
export const RABBITMQ_UID = 999;

/** How long a stopping node gets: the preStop hook waits up to 20 s for quorum and 20 s to drain. */
export const TERMINATION_GRACE_SECONDS = 60;

export const DEFAULT_AGENT_COMMAND = ["steward", "agent", "rabbitmq-sidecar"];

export interface StatefulSetInput extends BuildInput {
  /** The engine image, rabbitmq:<pinned patch release> unless overridden. */
  engineImage: string;
  /** The steward image whose agent runs the sidecar (see agent/sidecar.ts for what it needs). */
  agentImage: string;
  /** How many pods: spec.replicas, or more while a scale-in removes nodes one at a time. */
  replicas: number;
  /** The sidecar's command; tests on the local runtime may point it at the compiled entry directly. */
  agentCommand?: string[];
  /** Init containers that run before setup (a restore's definitions download, from backup hooks). */
  extraInitContainers?: V1Container[];
  /**
   * The claim size the existing StatefulSet was created with: volumeClaimTemplates cannot change
   * in place, so growth patches each PVC (heal) and the template keeps its size.
   */
  existingClaimSize?: string;
}

/** The patch release each supported minor version runs (see common/engine-image.ts). */
export const PINNED_VERSIONS: Readonly<Record<string, string>> = { "3.12": "3.12.14", "3.13": "3.13.7" };

export function defaultEngineImage(spec: BuildInput["spec"]): string {
  return pinnedEngineImage("rabbitmq", spec.version, PINNED_VERSIONS);
}

function env(name: string, value: string): V1EnvVar {
  return { name, value };
}

/** Environment every container that talks to the local node shares: its name, long names, HOME with the cookie. */
function nodeEnv(headless: string, namespace: string): V1EnvVar[] {
  return [
    { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    env("RABBITMQ_NODENAME", `rabbit@$(POD_NAME).${headless}.${namespace}.svc.cluster.local`),
    env("RABBITMQ_USE_LONGNAME", "true"),
    env("HOME", RABBITMQ_PATHS.home),
  ];
}

/** The hash of what a running node read at start (the peer list is left out: see config.ts). */
export function podConfigHash(input: BuildInput): string {
  const names = rabbitmqNames(input.cluster);
  return configHash([buildStewardConf(names, input.spec), buildUserConf(input.spec), buildEnabledPlugins(), buildSetupScript(input.spec), buildPreStopScript()]);
}

/**
 * The StatefulSet of RabbitMQ nodes (Parallel, OnDelete, one data claim per pod: see
 * common/resources/statefulset.ts). For RabbitMQ:
 * - Parallel: a new cluster's nodes must boot together to find each other (classic_config),
 *   and after a whole-cluster stop each node waits for the others to load its tables;
 *   OrderedReady would deadlock both.
 * - OnDelete: the operator rolls pods itself, one at a time, highest ordinal first, only when
 *   the node is not quorum-critical, and waits for the cluster to be whole again before the
 *   next one.
 * - On scale-in the operator deletes the removed node's claim itself after the cluster forgot
 *   the node (a forgotten node's data cannot rejoin, so a later scale-out must start it empty).
 * - No liveness probe: a node waiting for its peers' tables, or paused by pause_minority, is
 *   alive and must not be restarted; readiness (the AMQP port) takes it out of the Service.
 */
export function buildStatefulSet(input: StatefulSetInput): KubeObject {
  const { cluster, spec } = input;
  const names = rabbitmqNames(cluster);
  const labels = clusterLabels(cluster, "broker");
  const shared = nodeEnv(names.headless, names.namespace);

  const mount = (name: string, mountPath: string, readOnly = false): V1VolumeMount => ({ name, mountPath, ...(readOnly ? { readOnly } : {}) });
  const tls = spec.tls.enabled ? spec.tls : undefined;
  // The Secret, and the copy RabbitMQ reads (see buildTlsInstallScript): setup and the agent write the copy.
  const tlsMounts = tls ? [mount("tls", RABBITMQ_PATHS.tlsSource, true), mount("tls-live", RABBITMQ_PATHS.tlsDir)] : [];
  const setup: V1Container = {
    name: SETUP_CONTAINER,
    image: input.engineImage,
    command: ["sh", "-c", buildSetupScript(spec)],
    env: shared,
    securityContext: { runAsUser: RABBITMQ_UID, runAsGroup: RABBITMQ_UID, allowPrivilegeEscalation: false },
    volumeMounts: [
      mount("home", RABBITMQ_PATHS.home),
      mount("data", RABBITMQ_PATHS.data),
      mount("logs", RABBITMQ_PATHS.logs),
      mount("config", RABBITMQ_PATHS.configDir),
      mount("config-source", RABBITMQ_PATHS.configSource, true),
      mount("cookie-source", RABBITMQ_PATHS.cookieSource, true),
      ...tlsMounts,
    ],
    resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "64Mi" } },
  };

  const vmArgs = erlangVmArgs(spec);
  const engine: V1Container = {
    name: ENGINE_CONTAINER,
    image: input.engineImage,
    command: ["rabbitmq-server"],
    env: [
      ...shared,
      env("RABBITMQ_CONFIG_FILES", RABBITMQ_PATHS.configDir),
      env("RABBITMQ_ENABLED_PLUGINS_FILE", RABBITMQ_PATHS.enabledPlugins),
      env("RABBITMQ_MNESIA_BASE", RABBITMQ_PATHS.data),
      env("RABBITMQ_LOG_BASE", RABBITMQ_PATHS.logs),
      ...(vmArgs ? [env("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", vmArgs)] : []),
    ],
    ports: [
      ...(tls?.required ? [] : [{ name: "amqp", containerPort: PORTS.amqp, protocol: "TCP" }, { name: "management", containerPort: PORTS.management, protocol: "TCP" }]),
      ...(tls ? [{ name: "amqps", containerPort: PORTS.amqps, protocol: "TCP" }, { name: "management-tls", containerPort: PORTS.managementTls, protocol: "TCP" }] : []),
      { name: "prometheus", containerPort: PORTS.prometheus, protocol: "TCP" },
      { name: "epmd", containerPort: PORTS.epmd, protocol: "TCP" },
      { name: "cluster-links", containerPort: PORTS.distribution, protocol: "TCP" },
    ],
    // The client listener: closed while the node drains, pauses or boots. AMQPS when it serves
    // TLS (the only one with spec.tls.required).
    readinessProbe: { tcpSocket: { port: tls ? "amqps" : "amqp" }, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 2, successThreshold: 1 },
    lifecycle: { preStop: { exec: { command: ["sh", "-c", buildPreStopScript()] } } },
    resources: spec.resources as V1Container["resources"],
    // The Erlang VM writes outside the volumes (crash dumps in its working directory, the
    // image's generated files under /etc/rabbitmq), so its root stays writable.
    securityContext: { runAsUser: RABBITMQ_UID, runAsGroup: RABBITMQ_UID, allowPrivilegeEscalation: false, readOnlyRootFilesystem: false },
    volumeMounts: [
      mount("home", RABBITMQ_PATHS.home),
      mount("data", RABBITMQ_PATHS.data),
      mount("logs", RABBITMQ_PATHS.logs),
      mount("config", RABBITMQ_PATHS.configDir, true),
      mount("config-source", RABBITMQ_PATHS.configSource, true),
      ...(tls ? [mount("tls-live", RABBITMQ_PATHS.tlsDir, true)] : []),
    ],
  };

  const agent = agentSidecar({
    image: input.agentImage,
    command: input.agentCommand ?? DEFAULT_AGENT_COMMAND,
    env: shared,
    token: { secret: names.credentials, key: CREDENTIAL_KEYS.agentToken },
    port: PORTS.agent,
    probePort: "agent",
    probePeriodSeconds: 5,
    cpuRequest: "20m",
    securityContext: { runAsUser: RABBITMQ_UID, runAsGroup: RABBITMQ_UID, allowPrivilegeEscalation: false },
    volumeMounts: [mount("home", RABBITMQ_PATHS.home), ...tlsMounts],
  });

  const volumes: V1Volume[] = [
    {
      name: "config-source",
      projected: {
        sources: [
          {
            configMap: {
              name: names.configMap,
              items: [CONFIG_FILES.clusterFormation, CONFIG_FILES.steward, CONFIG_FILES.user, CONFIG_FILES.enabledPlugins].map((key) => ({ key, path: key })),
            },
          },
          { secret: { name: names.credentials, items: [{ key: CREDENTIAL_KEYS.defaultUserConf, path: CONFIG_FILES.defaultUser }] } },
        ],
      },
    },
    { name: "cookie-source", secret: { secretName: names.cookie, items: [{ key: COOKIE_KEY, path: ".erlang.cookie" }], defaultMode: 0o400 } },
    { name: "config", emptyDir: {} },
    { name: "home", emptyDir: {} },
    { name: "logs", emptyDir: {} },
    ...(tls
      ? [
          // Group-readable through fsGroup: the key is never world-readable.
          { name: "tls", secret: { secretName: tlsSecretName(cluster), defaultMode: 0o440 } },
          // In memory, like the Secret: the key never lands on the node's disk.
          { name: "tls-live", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
        ]
      : []),
  ];

  return buildClusterStatefulSet(input, {
    name: names.statefulSet,
    serviceName: names.headless,
    replicas: input.replicas,
    labels,
    selector: podSelector(cluster),
    podAnnotations: podTemplateAnnotations(input, podConfigHash(input)),
    pod: {
      enableServiceLinks: false,
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
      securityContext: { fsGroup: RABBITMQ_UID },
      affinity: spreadOverNodes(podSelector(cluster)),
      initContainers: [...(input.extraInitContainers ?? []), setup],
      containers: [engine, agent],
      volumes,
    },
    existingClaimSize: input.existingClaimSize,
  });
}
