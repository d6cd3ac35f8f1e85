import type { V1EnvVar } from "@kubernetes/client-node";
import { backupStorage, type BackupStorage } from "../../shared/api/index.js";
import { RESOURCES, type KubeClient } from "../../shared/k8s/client.js";
import { readSecret } from "../../shared/secrets.js";
import { ENV } from "../agent/variables.js";
import { parseEncryptionKey } from "../format/encryption.js";
import { InsecureEndpointError, createS3Client, type StorageLocation, type StorageTarget } from "../s3/client.js";
import type { StorageContext } from "../pipeline.js";

export class StorageProblem extends Error {
  override readonly name = "StorageProblem";
}

/** The storage's location and TLS settings, as every S3 client of Steward gets them (agents through STEWARD_STORAGE). */
export function storageLocation(storage: BackupStorage): StorageLocation {
  const s3 = storage.spec.s3;
  const location: StorageLocation = { endpoint: s3.endpoint, region: s3.region ?? "us-east-1", bucket: s3.bucket, prefix: s3.prefix ?? "", forcePathStyle: s3.forcePathStyle ?? false };
  if (s3.caBundle) location.caBundle = s3.caBundle;
  if (s3.insecureSkipVerify) location.insecureSkipVerify = true;
  if (s3.allowInsecure) location.allowInsecure = true;
  return location;
}

export async function getBackupStorage(client: KubeClient, namespace: string, name: string): Promise<BackupStorage> {
  const raw = await client.get(RESOURCES.BackupStorage, namespace, name);
  if (!raw) throw new StorageProblem(`BackupStorage ${namespace}/${name} does not exist: create it, or point spec.backup.storage at one that does`);
  return backupStorage.parse(raw);
}

/**
 * The operator's own access to a BackupStorage (to probe it, read manifests, delete objects):
 * the credentials Secret read through the API, never written anywhere else.
 */
export async function openStorage(client: KubeClient, storage: BackupStorage): Promise<StorageContext> {
  const namespace = storage.metadata.namespace!;
  const secretName = storage.spec.s3.credentialsSecret.name;
  const credentials = await readSecret(client, namespace, secretName);
  if (!credentials?.accessKeyId || !credentials.secretAccessKey) {
    throw new StorageProblem(`Secret ${namespace}/${secretName} must hold the keys accessKeyId and secretAccessKey`);
  }
  let key: Buffer | undefined;
  const encryption = storage.spec.encryption?.keySecret;
  if (encryption) {
    const keySecret = await readSecret(client, namespace, encryption.name);
    const material = keySecret?.[encryption.key];
    if (!material) throw new StorageProblem(`Secret ${namespace}/${encryption.name} has no key ${encryption.key} (the encryption key)`);
    try {
      key = parseEncryptionKey(material);
    } catch (error) {
      throw new StorageProblem(`Secret ${namespace}/${encryption.name} key ${encryption.key}: ${(error as Error).message}`);
    }
  }
  const target: StorageTarget = { ...storageLocation(storage), accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey };
  try {
    return { client: createS3Client(target), target, key };
  } catch (error) {
    if (error instanceof InsecureEndpointError) throw new StorageProblem(`BackupStorage ${namespace}/${storage.metadata.name}: ${error.message}`);
    throw error;
  }
}

/** The environment an agent container needs to reach the storage: secrets by reference only. */
export function storageEnvironment(storage: BackupStorage): V1EnvVar[] {
  const credentials = storage.spec.s3.credentialsSecret.name;
  const env: V1EnvVar[] = [
    { name: ENV.storage, value: JSON.stringify(storageLocation(storage)) },
    { name: ENV.accessKeyId, valueFrom: { secretKeyRef: { name: credentials, key: "accessKeyId" } } },
    { name: ENV.secretAccessKey, valueFrom: { secretKeyRef: { name: credentials, key: "secretAccessKey" } } },
  ];
  const encryption = storage.spec.encryption?.keySecret;
  if (encryption) env.push({ name: ENV.encryptionKey, valueFrom: { secretKeyRef: { name: encryption.name, key: encryption.key } } });
  return env;
}

/** What an in-pod agent reads through envFrom of a Secret the operator keeps (PITR sidecar, bootstrap init step). */
export function agentStorageSecretData(storage: BackupStorage, access: StorageContext): Record<string, string> {
  const data: Record<string, string> = {
    [ENV.storage]: JSON.stringify(storageLocation(storage)),
    [ENV.accessKeyId]: access.target.accessKeyId,
    [ENV.secretAccessKey]: access.target.secretAccessKey,
  };
  if (access.key) data[ENV.encryptionKey] = access.key.toString("base64");
  return data;
}
