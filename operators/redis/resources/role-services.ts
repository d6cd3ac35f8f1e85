import { LABELS } from "../../../shared/api/index.js";
import type { KubeObject } from "../../../shared/k8s/client.js";
import { owned, type BuildInput } from "../../mysql/resources/common.js";
import { podSelector } from "../../mysql/names.js";
import { REDIS_PORT, ROLE_PRIMARY, ROLE_REPLICA, clusterLabels, redisNames } from "../names.js";

function roleService(input: BuildInput, name: string, role: string): KubeObject {
  const names = redisNames(input.cluster);
  return owned(input, {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: names.namespace, labels: clusterLabels(input.cluster, role) },
    spec: {
      type: "ClusterIP",
      selector: { ...podSelector(input.cluster), [LABELS.role]: role },
      ports: [{ name: "redis", port: REDIS_PORT, targetPort: REDIS_PORT, protocol: "TCP" }],
    },
  });
}

/**
 * `<cluster>-primary`: the read-write endpoint (the connection Secret names it). It selects
 * the pod the operator labelled `steward.dev/role=primary`; removing that label is the first
 * step of a failover, so the Service stops routing to an old primary before any other
 * instance becomes writable. Starting instances replicate from it until re-pointed.
 */
export function buildPrimaryService(input: BuildInput): KubeObject {
  return roleService(input, redisNames(input.cluster).primaryService, ROLE_PRIMARY);
}

/** `<cluster>-replicas`: read-only endpoints, every ready pod labelled `steward.dev/role=replica`. */
export function buildReplicasService(input: BuildInput): KubeObject {
  return roleService(input, redisNames(input.cluster).replicasService, ROLE_REPLICA);
}
