import type { KubeObject } from "../../../shared/k8s/client.js";
import { owned, type BuildInput } from "../../common/resources/build-input.js";
import { buildRedisConf } from "../config.js";
import { clusterLabels, redisNames } from "../names.js";

export const CONFIG_KEYS = { redisConf: "redis.conf" } as const;

/** `<cluster>-config`: redis.conf, mounted read-only at /etc/steward/redis (never rewritten by the server). */
export function buildConfigMap(input: BuildInput): KubeObject {
  const names = redisNames(input.cluster);
  return owned(input, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: names.configMap, namespace: names.namespace, labels: clusterLabels(input.cluster, "config") },
    data: { [CONFIG_KEYS.redisConf]: buildRedisConf(input.spec) },
  });
}
