import type { V1EnvVar } from "@kubernetes/client-node";

/**
 * What backup and restore Jobs (and the PITR sidecar) get from their pod spec. Secrets come
 * as environment variables from secretKeyRef, never as arguments:
 *   STEWARD_STORAGE            JSON: endpoint, region, bucket, prefix, forcePathStyle (not secret)
 *   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY    from the BackupStorage's credentials Secret
 *   STEWARD_BACKUP_KEY         the encryption key, when the storage has one
 *   STEWARD_DB_USER, STEWARD_DB_PASSWORD        the engine's credentials
 *   STEWARD_AGENT_TOKEN        bearer token of the database pods' agents (physical copies)
 *   STEWARD_TLS_CA             the cluster's CA, when it serves TLS
 * Kept apart from environment.ts (which reads them, with the S3 client): pod builders need
 * only the names, and they run in processes that must not load the AWS SDK.
 */
export const ENV = {
  storage: "STEWARD_STORAGE",
  accessKeyId: "AWS_ACCESS_KEY_ID",
  secretAccessKey: "AWS_SECRET_ACCESS_KEY",
  encryptionKey: "STEWARD_BACKUP_KEY",
  dbUser: "STEWARD_DB_USER",
  dbPassword: "STEWARD_DB_PASSWORD",
  agentToken: "STEWARD_AGENT_TOKEN",
  /** The CA (PEM) the engine's certificate is verified with: the cluster serves TLS. */
  tlsCa: "STEWARD_TLS_CA",
} as const;

/** The cluster's CA from its TLS Secret (`<cluster>-tls`, key ca.crt): Jobs then connect over verified TLS. */
export function jobTlsEnv(tlsSecret: string): V1EnvVar[] {
  return [{ name: ENV.tlsCa, valueFrom: { secretKeyRef: { name: tlsSecret, key: "ca.crt" } } }];
}

/** The agent's database user, and its password from `secret`'s `key`. */
export function jobCredentialsEnv(user: string, secret: string, key: string): V1EnvVar[] {
  return [
    { name: ENV.dbUser, value: user },
    { name: ENV.dbPassword, valueFrom: { secretKeyRef: { name: secret, key } } },
  ];
}
