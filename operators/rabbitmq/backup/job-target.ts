/**
 * How backup, restore and checksum Jobs (backup/controllers) reach a RabbitMQ cluster: its
 * management API through the client Service (any node exports and imports the whole cluster's
 * definitions), as the operator's administrator, the password from the credentials Secret by
 * reference.
 */
import type { DatabaseCluster } from "../../../shared/api/index.js";
import { jobCredentialsEnv } from "../../../backup/agent/variables.js";
import type { EngineJobTarget } from "../../../backup/engine-backup.js";
import { ADMIN_USER, CREDENTIAL_KEYS, PORTS, rabbitmqNames } from "../names.js";

export function rabbitmqJobTarget(cluster: DatabaseCluster, host?: string): EngineJobTarget {
  const names = rabbitmqNames(cluster);
  return {
    args: ["--engine", "rabbitmq", "--host", host ?? names.clientHost, "--port", String(PORTS.management)],
    env: jobCredentialsEnv(ADMIN_USER, names.credentials, CREDENTIAL_KEYS.adminPassword),
  };
}
