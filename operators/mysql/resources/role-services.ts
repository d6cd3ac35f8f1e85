import { LABELS } from "../../../shared/api/index.js";
import type { KubeObject } from "../../../shared/k8s/client.js";
import { AGENT_PORT, MYSQL_PORT, ROLE_PRIMARY, ROLE_REPLICA, clusterLabels, mysqlNames, podSelector } from "../names.js";
import { owned, type BuildInput } from "./common.js";

function roleService(input: BuildInput, name: string, role: string, withAgent: boolean): KubeObject {
  const names = mysqlNames(input.cluster);
  const ports: Record<string, unknown>[] = [{ name: "mysql", port: MYSQL_PORT, targetPort: MYSQL_PORT, protocol: "TCP" }];
  if (withAgent) ports.push({ name: "agent", port: AGENT_PORT, targetPort: AGENT_PORT, protocol: "TCP" });
  return owned(input, {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: names.namespace, labels: clusterLabels(input.cluster, input.spec, role) },
    spec: {
      type: "ClusterIP",
      selector: { ...podSelector(input.cluster), [LABELS.role]: role },
      ports,
    },
  });
}

/**
 * `<cluster>-primary`: the read-write endpoint applications use (the connection Secret names
 * it). It selects the pod the operator labelled `steward.dev/role=primary`; removing that
 * label is the first step of fencing, so the Service stops routing to an old primary before
 * any other instance becomes writable. Its agent port is where new replicas stream their copy.
 */
export function buildPrimaryService(input: BuildInput): KubeObject {
  return roleService(input, mysqlNames(input.cluster).primaryService, ROLE_PRIMARY, true);
}

/** `<cluster>-replicas`: read-only endpoints, every ready pod labelled `steward.dev/role=replica`. */
export function buildReplicasService(input: BuildInput): KubeObject {
  return roleService(input, mysqlNames(input.cluster).replicasService, ROLE_REPLICA, false);
}
