import { generatePassword, type EnsureSecretOptions } from "../../../shared/secrets.js";
import type { BuildInput } from "../../common/resources/build-input.js";
import { generatedSecretOptions, requireKeys } from "../../common/resources/credentials-secret.js";
import { buildDefaultUserConf } from "../config.js";
import { COOKIE_KEY, CREDENTIAL_KEYS, clusterLabels, rabbitmqNames } from "../names.js";

export type RabbitmqCredentials = Record<(typeof CREDENTIAL_KEYS)[keyof typeof CREDENTIAL_KEYS], string>;

/**
 * `<cluster>-credentials`: the operator's administrator password (and the rabbitmq.conf
 * fragment that creates that user on a brand-new cluster), the application user's password,
 * and the agent sidecar's bearer token, from the CSPRNG; ensured, never applied (see
 * common/resources/credentials-secret.ts).
 */
export function credentialsSecretOptions(input: BuildInput): EnsureSecretOptions {
  return generatedSecretOptions(input, rabbitmqNames(input.cluster).credentials, clusterLabels(input.cluster, "credentials"), () => {
    const admin = generatePassword();
    return {
      [CREDENTIAL_KEYS.adminPassword]: admin,
      [CREDENTIAL_KEYS.defaultUserConf]: buildDefaultUserConf(admin),
      [CREDENTIAL_KEYS.appPassword]: generatePassword(),
      [CREDENTIAL_KEYS.agentToken]: generatePassword(48),
    };
  });
}

/**
 * `<cluster>-erlang-cookie`: the shared secret Erlang nodes (and the CLI tools) authenticate
 * each other with. A separate Secret, so the pods mount only it as a file.
 */
export function cookieSecretOptions(input: BuildInput): EnsureSecretOptions {
  return generatedSecretOptions(input, rabbitmqNames(input.cluster).cookie, clusterLabels(input.cluster, "erlang-cookie"), () => ({ [COOKIE_KEY]: generatePassword(64) }));
}

export function credentialsFrom(values: Record<string, string>): RabbitmqCredentials {
  return requireKeys(values, Object.values(CREDENTIAL_KEYS), "add them or delete the Secret to have Steward generate a new one (only on a cluster without data)");
}

/**
 * Keys to correct after an ensure: the default-user fragment must carry the administrator
 * password the Secret holds (it would not if someone removed only the fragment).
 */
export function credentialRepairs(values: Record<string, string>): Record<string, string> {
  const admin = values[CREDENTIAL_KEYS.adminPassword];
  if (!admin) return {};
  const conf = buildDefaultUserConf(admin);
  return values[CREDENTIAL_KEYS.defaultUserConf] === conf ? {} : { [CREDENTIAL_KEYS.defaultUserConf]: conf };
}
