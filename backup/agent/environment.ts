import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import type { EngineEndpoint } from "../engine-backup.js";
import { parseEncryptionKey } from "../format/encryption.js";
import { createS3Client, type StorageLocation } from "../s3/client.js";
import { ENV } from "./variables.js";
import type { StorageContext } from "../pipeline.js";


const storageLocation = z.object({
  endpoint: z.string().optional(),
  region: z.string(),
  bucket: z.string(),
  prefix: z.string(),
  forcePathStyle: z.boolean(),
  caBundle: z.string().optional(),
  insecureSkipVerify: z.boolean().optional(),
  allowInsecure: z.boolean().optional(),
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

/**
 * Where the engine is. With STEWARD_TLS_CA the CA goes to a private file (client tools such as
 * mariadb-dump take a path) and the endpoint is reached over TLS, verifying the server with it.
 * `options.physicalSource` and `options.agentToken` where a physical copy is streamed by a pod's agent.
 */
export function endpointFromOptions(options: { host?: string; port?: string; socket?: string; physicalSource?: string }, env: NodeJS.ProcessEnv = process.env): EngineEndpoint {
  const ca = env[ENV.tlsCa];
  let caFile: string | undefined;
  if (ca && !options.socket) {
    caFile = join(mkdtempSync(join(tmpdir(), "steward-tls-")), "ca.crt");
    writeFileSync(caFile, ca, { mode: 0o600 });
  }
  const extras: Record<string, string> = {};
  if (options.physicalSource) extras.physicalSource = options.physicalSource;
  if (env[ENV.agentToken]) extras.agentToken = env[ENV.agentToken]!;
  return {
    caFile,
    options: Object.keys(extras).length > 0 ? extras : undefined,
    host: options.host ?? "127.0.0.1",
    port: Number(options.port ?? 3306),
    socket: options.socket,
    username: env[ENV.dbUser] ?? "root",
    password: env[ENV.dbPassword],
  };
}
