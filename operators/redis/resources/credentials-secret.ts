import type { KubeObject } from "../../../shared/k8s/client.js";
import { generatePassword, type EnsureSecretOptions } from "../../../shared/secrets.js";
import type { BuildInput } from "../../mysql/resources/common.js";
import type { RedisPasswords } from "../config.js";
import { CREDENTIAL_KEYS, clusterLabels, redisNames } from "../names.js";

/**
 * `<cluster>-credentials`: one CSPRNG password per ACL user (operator, replication,
 * application). Ensured, not applied: existing values are never replaced (a regenerated
 * password would lock the operator out of its own instances). No value ever appears in an
 * argument, a log line, an Event or the status.
 */
export function credentialsSecretOptions(input: BuildInput): EnsureSecretOptions {
  const names = redisNames(input.cluster);
  return {
    namespace: names.namespace,
    name: names.credentials,
    owner: input.cluster as unknown as KubeObject,
    labels: clusterLabels(input.cluster, "credentials"),
    generate: () => ({
      [CREDENTIAL_KEYS.operator]: generatePassword(),
      [CREDENTIAL_KEYS.replication]: generatePassword(),
      [CREDENTIAL_KEYS.app]: generatePassword(),
    }),
  };
}

export function passwordsFrom(values: Record<string, string>): RedisPasswords {
  const missing = Object.values(CREDENTIAL_KEYS).filter((key) => !values[key]);
  if (missing.length > 0) throw new Error(`the credentials Secret lacks ${missing.join(", ")}; delete it to have Steward generate a new one (only on a cluster without data)`);
  return { operator: values[CREDENTIAL_KEYS.operator]!, replication: values[CREDENTIAL_KEYS.replication]!, app: values[CREDENTIAL_KEYS.app]! };
}
