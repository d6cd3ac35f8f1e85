import type { KubeObject } from "../../../shared/k8s/client.js";
import type { BuildInput } from "../../common/resources/build-input.js";
import { buildGoverningService, servicePort } from "../../common/resources/services.js";
import { clusterLabels, podSelector, redisNames, servicePorts } from "../names.js";

/**
 * `<cluster>-headless`: the StatefulSet's governing Service (see common/resources/services.ts),
 * which the operator and the replicas use to reach one instance, also while it is loading,
 * syncing or fenced.
 */
export function buildHeadlessService(input: BuildInput): KubeObject {
  return buildGoverningService(input, {
    name: redisNames(input.cluster).headless,
    labels: clusterLabels(input.cluster, "headless"),
    selector: podSelector(input.cluster),
    ports: servicePorts(input.spec).map(({ name, port }) => servicePort(name, port)),
  });
}
