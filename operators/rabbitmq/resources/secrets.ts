import type { KubeObject } from "../../../shared/k8s/client.js";
import { generatePassword, type EnsureSecretOptions } from "../../../shared/secrets.js";
import { buildDefaultUserConf } from "../config.js";
import { COOKIE_KEY, CREDENTIAL_KEYS, clusterLabels, rabbitmqNames } from "../names.js";
import type { BuildInput } from "./build-input.js";

export type RabbitmqCredentials = Record<(typeof CREDENTIAL_KEYS)[keyof typeof CREDENTIAL_KEYS], string>;

/**
 * `<cluster>-credentials`: the operator's administrator password (and the rabbitmq.conf
 * fragment that creates that user on a brand-new cluster), the application user's password,
 * and the agent sidecar's bearer token, from the CSPRNG. Ensured, never applied: an existing
 * value is never replaced (a regenerated password would lock the operator out).
 */
export function credentialsSecretOptions(input: BuildInput): EnsureSecretOptions {
  const names = rabbitmqNames(input.cluster);
  return {
    namespace: names.namespace,
    name: names.credentials,
    owner: input.cluster as unknown as KubeObject,
    labels: clusterLabels(input.cluster, "credentials"),
    generate: () => {
      const admin = generatePassword();
      return {
        [CREDENTIAL_KEYS.adminPassword]: admin,
        [CREDENTIAL_KEYS.defaultUserConf]: buildDefaultUserConf(admin),
        [CREDENTIAL_KEYS.appPassword]: generatePassword(),
        [CREDENTIAL_KEYS.agentToken]: generatePassword(48),
      };
    },
  };
}

/**
 * `<cluster>-erlang-cookie`: the shared secret Erlang nodes (and the CLI tools) authenticate
 * each other with. A separate Secret, so the pods mount only it as a file.
 */
export function cookieSecretOptions(input: BuildInput): EnsureSecretOptions {
  const names = rabbitmqNames(input.cluster);
  return {
    namespace: names.namespace,
    name: names.cookie,
    owner: input.cluster as unknown as KubeObject,
    labels: clusterLabels(input.cluster, "erlang-cookie"),
    generate: () => ({ [COOKIE_KEY]: generatePassword(64) }),
  };
}

export function credentialsFrom(values: Record<string, string>): RabbitmqCredentials {
  const missing = Object.values(CREDENTIAL_KEYS).filter((key) => !values[key]);
  if (missing.length > 0) throw new Error(`the credentials Secret lacks ${missing.join(", ")}; add them or delete the Secret to have Steward generate a new one (only on a cluster without data)`);
  return values as RabbitmqCredentials;
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
