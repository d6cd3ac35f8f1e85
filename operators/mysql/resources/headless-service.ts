import type { KubeObject } from "../../../shared/k8s/client.js";
import type { BuildInput } from "../../common/resources/build-input.js";
import { buildGoverningService, servicePort } from "../../common/resources/services.js";
import { AGENT_PORT, MYSQL_PORT, clusterLabels, mysqlNames, podSelector } from "../names.js";

/**
 * `<cluster>-headless`: the StatefulSet's governing Service (see common/resources/services.ts),
 * which the operator, the replicas and the agent use to reach one instance, also while it is
 * starting, seeding or fenced.
 */
export function buildHeadlessService(input: BuildInput): KubeObject {
  return buildGoverningService(input, {
    name: mysqlNames(input.cluster).headless,
    labels: clusterLabels(input.cluster, input.spec, "headless"),
    selector: podSelector(input.cluster),
    ports: [servicePort("mysql", MYSQL_PORT), servicePort("agent", AGENT_PORT)],
  });
}
