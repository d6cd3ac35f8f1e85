import { generatePassword, type EnsureSecretOptions } from "../../../shared/secrets.js";
import type { BuildInput } from "../../common/resources/build-input.js";
import { generatedSecretOptions, requireKeys } from "../../common/resources/credentials-secret.js";
import { CREDENTIAL_KEYS, KEYFILE_KEY, clusterLabels, mongodbNames } from "../names.js";

export interface MongodbPasswords {
  admin: string;
  app: string;
  agent: string;
}

/**
 * `<cluster>-credentials`: CSPRNG passwords of the operator's admin user and the application
 * user, and the agent's token; ensured, never applied (see common/resources/credentials-secret.ts).
 */
export function credentialsSecretOptions(input: BuildInput): EnsureSecretOptions {
  return generatedSecretOptions(input, mongodbNames(input.cluster).credentials, clusterLabels(input.cluster, "credentials"), () => ({
    [CREDENTIAL_KEYS.admin]: generatePassword(),
    [CREDENTIAL_KEYS.app]: generatePassword(),
    [CREDENTIAL_KEYS.agent]: generatePassword(),
  }));
}

export function passwordsFrom(values: Record<string, string>): MongodbPasswords {
  const keys = requireKeys(values, Object.values(CREDENTIAL_KEYS));
  return { admin: keys[CREDENTIAL_KEYS.admin], app: keys[CREDENTIAL_KEYS.app], agent: keys[CREDENTIAL_KEYS.agent] };
}

/**
 * `<cluster>-keyfile`: the members' shared secret for internal authentication (`--keyFile`).
 * MongoDB wants 6 to 1024 characters of the base64 alphabet; 756 alphanumeric characters from
 * the CSPRNG (about 4,500 bits) are what `openssl rand -base64 756` gives in the documentation.
 * Ensured, never applied: a new keyfile would split the set (members refuse each other).
 */
export function keyfileSecretOptions(input: BuildInput): EnsureSecretOptions {
  return generatedSecretOptions(input, mongodbNames(input.cluster).keyfile, clusterLabels(input.cluster, "keyfile"), () => ({ [KEYFILE_KEY]: generatePassword(756) }));
}

export function keyfileFrom(values: Record<string, string>): string {
  return requireKeys(values, [KEYFILE_KEY], "delete it to have Steward generate a new one, then restart every member")[KEYFILE_KEY];
}
