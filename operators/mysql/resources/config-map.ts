import type { KubeObject } from "../../../shared/k8s/client.js";
import { buildMyCnf, buildStartScript } from "../config.js";
import { clusterLabels, mysqlNames } from "../names.js";
import { owned, type BuildInput } from "../../common/resources/build-input.js";

/** Keys of `<cluster>-config`. */
export const CONFIG_KEYS = { myCnf: "my.cnf", startScript: "start.sh", bootstrapped: "bootstrapped" } as const;

/**
 * `<cluster>-config`: the server configuration and the engine container's start script
 * (mounted read-only at /etc/steward/mysql), and `bootstrapped`, which the init step reads
 * (as an env var) to tell "ordinal 0 of a brand-new cluster: initialize" from "a pod whose
 * data is gone in a running cluster: copy from the primary". It is not part of the pod
 * template, so flipping it restarts nothing.
 */
export function buildConfigMap(input: BuildInput): KubeObject {
  const names = mysqlNames(input.cluster);
  return owned(input, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: names.configMap, namespace: names.namespace, labels: clusterLabels(input.cluster, input.spec, "config") },
    data: {
      [CONFIG_KEYS.myCnf]: buildMyCnf(input.spec),
      [CONFIG_KEYS.startScript]: buildStartScript(input.spec),
      [CONFIG_KEYS.bootstrapped]: input.cluster.status?.bootstrapped ? "true" : "false",
    },
  });
}
