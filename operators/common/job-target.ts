/**
 * How a backup, restore or checksum Job (backup/controllers) reaches an engine's cluster: the
 * agent's arguments (engine, host, port) and its environment, the database user and the
 * password from the cluster's credentials Secret by reference. Each engine's
 * backup/job-target.ts says which host and which user.
 */
import type { V1EnvVar } from "@kubernetes/client-node";
import { ENV } from "../../backup/agent/environment.js";

export interface EngineJobTarget {
  args: string[];
  env: V1EnvVar[];
}

/** The agent's database user, and its password from `secret`'s `key`. */
export function jobCredentialsEnv(user: string, secret: string, key: string): V1EnvVar[] {
  return [
    { name: ENV.dbUser, value: user },
    { name: ENV.dbPassword, valueFrom: { secretKeyRef: { name: secret, key } } },
  ];
}
