/**
 * How backup, restore and checksum Jobs (backup/controllers) reach a RabbitMQ cluster: its
 * management API through the client Service (any node exports and imports the whole cluster's
 * definitions), as the operator's administrator, the password from the credentials Secret by
 * reference; over HTTPS verified with the cluster's CA when it serves TLS (spec.tls.enabled
 * defaults to true).
 */
import type { DatabaseCluster } from "../../../shared/api/index.js";
import { jobCredentialsEnv, jobTlsEnv } from "../../../backup/agent/variables.js";
import { tlsSecretName } from "../../cluster/tls.js";
import type { EngineJobTarget } from "../../../backup/engine-backup.js";
import { ADMIN_USER, CREDENTIAL_KEYS, PORTS, rabbitmqNames } from "../names.js";

export function rabbitmqJobTarget(cluster: DatabaseCluster, host?: string): EngineJobTarget {
  const names = rabbitmqNames(cluster);
  const tls = cluster.spec.tls?.enabled !== false;
  return {
    args: ["--engine", "rabbitmq", "--host", host ?? names.clientHost, "--port", String(tls ? PORTS.managementTls : PORTS.management)],
    env: [...jobCredentialsEnv(ADMIN_USER, names.credentials, CREDENTIAL_KEYS.adminPassword), ...(tls ? jobTlsEnv(tlsSecretName(cluster)) : [])],
  };
}
