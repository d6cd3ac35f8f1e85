/**
 * The two kinds of Service every engine has, built from what the engine says about them (name,
 * labels, which pods, which ports):
 * - the StatefulSet's governing headless Service, which gives every pod its stable DNS name
 *   (`<pod>.<cluster>-headless.<ns>.svc.cluster.local`) and publishes not-ready pods too: the
 *   operator and the peers must reach an instance that is starting, syncing or fenced;
 * - ClusterIP Services for clients, on ready pods only (role Services add the role label to
 *   the selector).
 */
import type { KubeObject } from "../../../shared/k8s/client.js";
import { owned, type BuildInput } from "./build-input.js";

export interface ServicePort {
  name: string;
  port: number;
  targetPort: number;
  protocol: "TCP";
  appProtocol?: string;
}

/** A TCP port served on the same port of the pod. */
export function servicePort(name: string, port: number, appProtocol?: string): ServicePort {
  return { name, port, targetPort: port, protocol: "TCP", ...(appProtocol ? { appProtocol } : {}) };
}

export interface ServiceShape {
  name: string;
  labels: Record<string, string>;
  selector: Record<string, string>;
  ports: ServicePort[];
}

function buildService(input: BuildInput, shape: ServiceShape, kind: { clusterIP: "None"; publishNotReadyAddresses: true } | { type: "ClusterIP" }): KubeObject {
  return owned(input, {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: shape.name, namespace: input.cluster.metadata.namespace ?? "default", labels: shape.labels },
    spec: { ...kind, selector: shape.selector, ports: shape.ports },
  });
}

export function buildGoverningService(input: BuildInput, shape: ServiceShape): KubeObject {
  return buildService(input, shape, { clusterIP: "None", publishNotReadyAddresses: true });
}

export function buildClusterIpService(input: BuildInput, shape: ServiceShape): KubeObject {
  return buildService(input, shape, { type: "ClusterIP" });
}
