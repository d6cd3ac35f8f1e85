/**
 * Container parts the engines' pod templates share: environment from the pod's own fields and
 * from Secrets (never a password in an argument or a value), the probes of a database server,
 * and the steward agent sidecar.
 */
import type { V1Container, V1EnvVar, V1Probe, V1ResourceRequirements, V1SecurityContext, V1VolumeMount } from "@kubernetes/client-node";
import { AGENT_TOKEN_ENV } from "../agent-sidecar.js";

export const AGENT_CONTAINER = "agent";

/** An environment variable from the pod's own fields (metadata.name, status.podIP, ...). */
export function fieldEnv(name: string, fieldPath: string): V1EnvVar {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

/** An environment variable from a Secret's key, by reference. */
export function secretEnv(name: string, secret: string, key: string): V1EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secret, key } } };
}

/**
 * The probes of a database server container:
 * - readiness every second, one failure takes the pod out of its Services (the operator judges
 *   roles and replication itself, from the engine);
 * - startup generous (up to 30 minutes): crash recovery or loading a large dataset must not be
 *   cut short;
 * - liveness every 5 s, restarting only after 30 s without an answer.
 */
export function serverProbes(readiness: string[], liveness: string[]): { readinessProbe: V1Probe; startupProbe: V1Probe; livenessProbe: V1Probe } {
  return {
    readinessProbe: { exec: { command: readiness }, periodSeconds: 1, timeoutSeconds: 2, failureThreshold: 1, successThreshold: 1 },
    startupProbe: { exec: { command: liveness }, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 900 },
    livenessProbe: { exec: { command: liveness }, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 6 },
  };
}

export interface AgentSidecarOptions {
  image: string;
  command: string[];
  /** The container's environment; the bearer token (AGENT_TOKEN_ENV) is added last. */
  env: V1EnvVar[];
  /** Where the token is: the cluster's credentials Secret and its key. */
  token: { secret: string; key: string };
  port: number;
  /** The port readiness asks /healthz on (a number, or the port's name "agent"). */
  probePort: number | string;
  probePeriodSeconds: number;
  cpuRequest: string;
  securityContext?: V1SecurityContext;
  volumeMounts: V1VolumeMount[];
}

/**
 * The steward agent beside the engine: `agent` container, port `agent`, ready when its /healthz
 * answers, its HTTP endpoints guarded by the bearer token from the credentials Secret.
 */
export function agentSidecar(options: AgentSidecarOptions): V1Container {
  const resources: V1ResourceRequirements = { requests: { cpu: options.cpuRequest, memory: "64Mi" }, limits: { memory: "256Mi" } };
  return {
    name: AGENT_CONTAINER,
    image: options.image,
    command: options.command,
    env: [...options.env, secretEnv(AGENT_TOKEN_ENV, options.token.secret, options.token.key)],
    ports: [{ name: "agent", containerPort: options.port, protocol: "TCP" }],
    readinessProbe: { httpGet: { path: "/healthz", port: options.probePort }, periodSeconds: options.probePeriodSeconds, timeoutSeconds: 2 },
    resources,
    ...(options.securityContext ? { securityContext: options.securityContext } : {}),
    volumeMounts: options.volumeMounts,
  };
}
