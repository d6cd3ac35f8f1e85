import { z } from "zod";
import type { EngineBackup, EngineEndpoint } from "../engine-backup.js";
import { parseEncryptionKey } from "../format/encryption.js";
import { createS3Client, type StorageLocation } from "../s3/client.js";
import type { StorageContext } from "../pipeline.js";

/**
 * What backup and restore Jobs (and the PITR sidecar) get from their pod spec. Secrets come
 * as environment variables from secretKeyRef, never as arguments:
 *   STEWARD_STORAGE            JSON: endpoint, region, bucket, prefix, forcePathStyle (not secret)
 *   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY    from the BackupStorage's credentials Secret
 *   STEWARD_BACKUP_KEY         the encryption key, when the storage has one
 *   STEWARD_DB_USER, STEWARD_DB_PASSWORD        the engine's credentials
 */
export const ENV = {
  storage: "STEWARD_STORAGE",
  accessKeyId: "AWS_ACCESS_KEY_ID",
  secretAccessKey: "AWS_SECRET_ACCESS_KEY",
  encryptionKey: "STEWARD_BACKUP_KEY",
  dbUser: "STEWARD_DB_USER",
  dbPassword: "STEWARD_DB_PASSWORD",
} as const;

const storageLocation = z.object({
  endpoint: z.string().optional(),
  region: z.string(),
  bucket: z.string(),
  prefix: z.string(),
  forcePathStyle: z.boolean(),
});

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`the environment variable ${name} is not set (the Job's pod spec sets it from a Secret)`);
  return value;
}

export function storageFromEnvironment(env: NodeJS.ProcessEnv = process.env): StorageContext {
  const location: StorageLocation = storageLocation.parse(JSON.parse(required(env, ENV.storage)));
  const target = { ...location, accessKeyId: required(env, ENV.accessKeyId), secretAccessKey: required(env, ENV.secretAccessKey) };
  const key = env[ENV.encryptionKey] ? parseEncryptionKey(env[ENV.encryptionKey]!) : undefined;
  return { client: createS3Client(target), target, key };
}

export function endpointFromOptions(options: { host?: string; port?: string; socket?: string }, env: NodeJS.ProcessEnv = process.env): EngineEndpoint {
  return {
    host: options.host ?? "127.0.0.1",
    port: Number(options.port ?? 3306),
    socket: options.socket,
    username: env[ENV.dbUser] ?? "root",
    password: env[ENV.dbPassword],
  };
}

/**
 * The backup implementation of each engine; an engine folder adds one line here. Loaded on
 * demand: a Job needs only its own engine's client library.
 */
export async function loadEngineBackup(engine: string, flavor?: string): Promise<EngineBackup> {
  switch (engine) {
    case "mysql":
      return new (await import("../../operators/mysql/backup/mysql-backup.js")).MysqlBackup(flavor === "mysql" ? "mysql" : "mariadb");
    case "redis":
      return new (await import("../../operators/redis/backup/redis-backup.js")).RedisBackup();
    case "rabbitmq":
      return new (await import("../../operators/rabbitmq/backup/rabbitmq-backup.js")).RabbitmqBackup();
    default:
      throw new Error(`engine ${engine} has no backup implementation in this build of Steward`);
  }
}
