import { LABELS } from "../../../shared/api/index.js";
import type { KubeObject } from "../../../shared/k8s/client.js";
import { ROLE_PRIMARY, ROLE_REPLICA } from "../../common/names.js";
import type { BuildInput } from "../../common/resources/build-input.js";
import { buildClusterIpService, buildGoverningService, servicePort } from "../../common/resources/services.js";
import { MONGODB_PORT, clusterLabels, mongodbNames, podSelector } from "../names.js";

const port = () => servicePort("mongodb", MONGODB_PORT, "mongodb");

/**
 * `<cluster>-headless`: the StatefulSet's governing Service. Replica-set members are written in
 * the configuration by their names under it (`<pod>.<cluster>-headless.<ns>.svc.cluster.local`),
 * and it publishes not-ready pods: a member that is starting or syncing must still be reachable
 * by the others and by the operator.
 */
export function buildHeadlessService(input: BuildInput): KubeObject {
  return buildGoverningService(input, { name: mongodbNames(input.cluster).headless, labels: clusterLabels(input.cluster, "headless"), selector: podSelector(input.cluster), ports: [port()] });
}

function roleService(input: BuildInput, name: string, role: string): KubeObject {
  return buildClusterIpService(input, { name, labels: clusterLabels(input.cluster, role), selector: { ...podSelector(input.cluster), [LABELS.role]: role }, ports: [port()] });
}

/**
 * `<cluster>-primary`: the pod MongoDB elected, as labelled by the operator. Drivers given the
 * replica-set URI find the primary themselves; this Service is for clients that take one
 * host and port (the connection Secret's host/port).
 */
export function buildPrimaryService(input: BuildInput): KubeObject {
  return roleService(input, mongodbNames(input.cluster).primaryService, ROLE_PRIMARY);
}

/** `<cluster>-replicas`: secondaries only (state SECONDARY), for reads that may lag. */
export function buildReplicasService(input: BuildInput): KubeObject {
  return roleService(input, mongodbNames(input.cluster).replicasService, ROLE_REPLICA);
}
