import { generatePassword, type EnsureSecretOptions } from "../../../shared/secrets.js";
import type { BuildInput } from "../../common/resources/build-input.js";
import { generatedSecretOptions, requireKeys } from "../../common/resources/credentials-secret.js";
import type { RedisPasswords } from "../config.js";
import { CREDENTIAL_KEYS, clusterLabels, redisNames } from "../names.js";

/**
 * `<cluster>-credentials`: one CSPRNG password per ACL user (operator, replication,
 * application); ensured, never applied (see common/resources/credentials-secret.ts).
 */
export function credentialsSecretOptions(input: BuildInput): EnsureSecretOptions {
  return generatedSecretOptions(input, redisNames(input.cluster).credentials, clusterLabels(input.cluster, "credentials"), () => ({
    [CREDENTIAL_KEYS.operator]: generatePassword(),
    [CREDENTIAL_KEYS.replication]: generatePassword(),
    [CREDENTIAL_KEYS.app]: generatePassword(),
  }));
}

export function passwordsFrom(values: Record<string, string>): RedisPasswords {
  const keys = requireKeys(values, Object.values(CREDENTIAL_KEYS));
  return { operator: keys[CREDENTIAL_KEYS.operator], replication: keys[CREDENTIAL_KEYS.replication], app: keys[CREDENTIAL_KEYS.app] };
}
