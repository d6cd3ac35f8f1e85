import type { EnsureSecretOptions } from "../../../shared/secrets.js";
import { generatePassword } from "../../../shared/secrets.js";
import type { BuildInput } from "../../common/resources/build-input.js";
import { generatedSecretOptions, requireKeys } from "../../common/resources/credentials-secret.js";
import { CREDENTIAL_KEYS, clusterLabels, mysqlNames } from "../names.js";

export type MysqlCredentials = Record<(typeof CREDENTIAL_KEYS)[keyof typeof CREDENTIAL_KEYS], string>;

/**
 * `<cluster>-credentials`: every password the cluster uses (root, replication, monitor, the
 * application user) and the agent's bearer token, from the CSPRNG; ensured, never applied
 * (see common/resources/credentials-secret.ts).
 */
export function credentialsSecretOptions(input: BuildInput): EnsureSecretOptions {
  return generatedSecretOptions(input, mysqlNames(input.cluster).credentials, clusterLabels(input.cluster, input.spec, "credentials"), () => ({
    [CREDENTIAL_KEYS.root]: generatePassword(),
    [CREDENTIAL_KEYS.replication]: generatePassword(),
    [CREDENTIAL_KEYS.monitor]: generatePassword(),
    [CREDENTIAL_KEYS.app]: generatePassword(),
    [CREDENTIAL_KEYS.agent]: generatePassword(48),
  }));
}

export function credentialsFrom(values: Record<string, string>): MysqlCredentials {
  return requireKeys(values, Object.values(CREDENTIAL_KEYS));
}
