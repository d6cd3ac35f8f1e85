import type { KubeObject } from "../../../shared/k8s/client.js";
import { owned, type BuildInput } from "../../common/resources/build-input.js";
import { buildUsersConf, type RedisPasswords } from "../config.js";
import { clusterLabels, redisNames } from "../names.js";

export const AUTH_KEYS = { users: "users.conf" } as const;

/**
 * `<cluster>-auth`: the ACL users and `masterauth`, as a redis.conf fragment that redis.conf
 * includes last. Derived from `<cluster>-credentials` on every reconcile (applied, so a
 * changed username is picked up); a Secret because `masterauth` must be in plain text.
 */
export function buildAuthSecret(input: BuildInput, passwords: RedisPasswords): KubeObject {
  const names = redisNames(input.cluster);
  return owned(input, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: names.auth, namespace: names.namespace, labels: clusterLabels(input.cluster, "auth") },
    type: "Opaque",
    data: { [AUTH_KEYS.users]: Buffer.from(buildUsersConf(input.spec.username, passwords), "utf8").toString("base64") },
  });
}
