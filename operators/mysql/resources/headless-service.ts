import type { KubeObject } from "../../../shared/k8s/client.js";
import { AGENT_PORT, MYSQL_PORT, clusterLabels, mysqlNames, podSelector } from "../names.js";
import { owned, type BuildInput } from "./common.js";

/**
 * `<cluster>-headless`: the StatefulSet's governing Service. It gives every pod its stable
 * DNS name (`<pod>.<cluster>-headless.<ns>.svc.cluster.local`), which the operator, the
 * replicas and the agent use to reach one instance. Not-ready pods are published too: the
 * operator must reach an instance that is starting, seeding or fenced.
 */
export function buildHeadlessService(input: BuildInput): KubeObject {
  const names = mysqlNames(input.cluster);
  return owned(input, {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: names.headless, namespace: names.namespace, labels: clusterLabels(input.cluster, input.spec, "headless") },
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: podSelector(input.cluster),
      ports: [
        { name: "mysql", port: MYSQL_PORT, targetPort: MYSQL_PORT, protocol: "TCP" },
        { name: "agent", port: AGENT_PORT, targetPort: AGENT_PORT, protocol: "TCP" },
      ],
    },
  });
}
