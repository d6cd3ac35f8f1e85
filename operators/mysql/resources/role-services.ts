import { LABELS } from "../../../shared/api/index.js";
import type { KubeObject } from "../../../shared/k8s/client.js";
import { ROLE_PRIMARY, ROLE_REPLICA } from "../../common/names.js";
import type { BuildInput } from "../../common/resources/build-input.js";
import { buildClusterIpService, servicePort, type ServicePort } from "../../common/resources/services.js";
import { AGENT_PORT, MYSQL_PORT, clusterLabels, mysqlNames, podSelector } from "../names.js";

function roleService(input: BuildInput, name: string, role: string, ports: ServicePort[]): KubeObject {
  return buildClusterIpService(input, { name, labels: clusterLabels(input.cluster, input.spec, role), selector: { ...podSelector(input.cluster), [LABELS.role]: role }, ports });
}

/**
 * `<cluster>-primary`: the read-write endpoint applications use (the connection Secret names
 * it). It selects the pod the operator labelled `steward.dev/role=primary`; removing that
 * label is the first step of fencing, so the Service stops routing to an old primary before
 * any other instance becomes writable. Its agent port is where new replicas stream their copy.
 */
export function buildPrimaryService(input: BuildInput): KubeObject {
  return roleService(input, mysqlNames(input.cluster).primaryService, ROLE_PRIMARY, [servicePort("mysql", MYSQL_PORT), servicePort("agent", AGENT_PORT)]);
}

/** `<cluster>-replicas`: read-only endpoints, every ready pod labelled `steward.dev/role=replica`. */
export function buildReplicasService(input: BuildInput): KubeObject {
  return roleService(input, mysqlNames(input.cluster).replicasService, ROLE_REPLICA, [servicePort("mysql", MYSQL_PORT)]);
}
