import type { KubeObject } from "../../../shared/k8s/client.js";
import { owned, type BuildInput } from "../../mysql/resources/common.js";
import { podSelector } from "../../mysql/names.js";
import { REDIS_PORT, clusterLabels, redisNames } from "../names.js";

/**
 * `<cluster>-headless`: the StatefulSet's governing Service. It gives every pod its stable
 * DNS name (`<pod>.<cluster>-headless.<ns>.svc.cluster.local`), which the operator and the
 * replicas use to reach one instance. Not-ready pods are published too: the operator must
 * reach an instance that is loading, syncing or fenced.
 */
export function buildHeadlessService(input: BuildInput): KubeObject {
  const names = redisNames(input.cluster);
  return owned(input, {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: names.headless, namespace: names.namespace, labels: clusterLabels(input.cluster, "headless") },
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: podSelector(input.cluster),
      ports: [{ name: "redis", port: REDIS_PORT, targetPort: REDIS_PORT, protocol: "TCP" }],
    },
  });
}
