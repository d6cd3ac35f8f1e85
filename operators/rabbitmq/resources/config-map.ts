import type { KubeObject } from "../../../shared/k8s/client.js";
import { CONFIG_FILES, buildClusterFormationConf, buildEnabledPlugins, buildStewardConf, buildUserConf } from "../config.js";
import { clusterLabels, rabbitmqNames } from "../names.js";
import { owned, type BuildInput } from "../../common/resources/build-input.js";

/**
 * `<cluster>-config`: the rabbitmq.conf fragments Steward writes and the plugins file, mounted
 * (with the default-user fragment from the credentials Secret) at /etc/steward/rabbitmq and
 * copied into conf.d by the setup init container at every pod start.
 * `peers` is how many nodes the classic_config list names: every node that exists or is coming.
 */
export function buildConfigMap(input: BuildInput, peers: number): KubeObject {
  const names = rabbitmqNames(input.cluster);
  return owned(input, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: names.configMap, namespace: names.namespace, labels: clusterLabels(input.cluster, "config") },
    data: {
      [CONFIG_FILES.clusterFormation]: buildClusterFormationConf(names, peers),
      [CONFIG_FILES.steward]: buildStewardConf(names, input.spec),
      [CONFIG_FILES.user]: buildUserConf(input.spec),
      [CONFIG_FILES.enabledPlugins]: buildEnabledPlugins(),
    },
  });
}
