import { LABELS } from "../../../shared/api/index.js";
import type { KubeObject } from "../../../shared/k8s/client.js";
import { ROLE_PRIMARY, ROLE_REPLICA } from "../../common/names.js";
import type { BuildInput } from "../../common/resources/build-input.js";
import { buildClusterIpService, servicePort } from "../../common/resources/services.js";
import { clusterLabels, podSelector, redisNames, servicePorts } from "../names.js";

function roleService(input: BuildInput, name: string, role: string): KubeObject {
  return buildClusterIpService(input, { name, labels: clusterLabels(input.cluster, role), selector: { ...podSelector(input.cluster), [LABELS.role]: role }, ports: servicePorts(input.spec).map(({ name, port }) => servicePort(name, port)) });
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
