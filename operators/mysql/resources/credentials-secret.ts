import type { EnsureSecretOptions } from "../../../shared/secrets.js";
import { generatePassword } from "../../../shared/secrets.js";
import type { KubeObject } from "../../../shared/k8s/client.js";
import { CREDENTIAL_KEYS, clusterLabels, mysqlNames } from "../names.js";
import type { BuildInput } from "./common.js";

export type MysqlCredentials = Record<(typeof CREDENTIAL_KEYS)[keyof typeof CREDENTIAL_KEYS], string>;

/**
 * `<cluster>-credentials`: every password the cluster uses (root, replication, monitor, the
 * application user) and the agent's bearer token, from the CSPRNG. It is ensured, not
 * applied: existing values are never replaced (a regenerated password would lock the
 * operator out of its own database). Pods read it through secretKeyRef env vars; no value
 * ever appears in an argument, a log line, an Event or the status.
 */
export function credentialsSecretOptions(input: BuildInput): EnsureSecretOptions {
  const names = mysqlNames(input.cluster);
  return {
    namespace: names.namespace,
    name: names.credentials,
    owner: input.cluster as unknown as KubeObject,
    labels: clusterLabels(input.cluster, input.spec, "credentials"),
    generate: () => ({
      [CREDENTIAL_KEYS.root]: generatePassword(),
      [CREDENTIAL_KEYS.replication]: generatePassword(),
      [CREDENTIAL_KEYS.monitor]: generatePassword(),
      [CREDENTIAL_KEYS.app]: generatePassword(),
      [CREDENTIAL_KEYS.agent]: generatePassword(48),
    }),
  };
}

export function credentialsFrom(values: Record<string, string>): MysqlCredentials {
  const missing = Object.values(CREDENTIAL_KEYS).filter((key) => !values[key]);
  if (missing.length > 0) throw new Error(`the credentials Secret lacks ${missing.join(", ")}; delete it to have Steward generate a new one (only on a cluster without data)`);
  return values as MysqlCredentials;
}
