import { z } from "zod";
import { API_VERSION, backupStorage } from "../../shared/api/index.js";
import { RESOURCES, resourcePath, type KubeObject } from "../../shared/k8s/client.js";
import { KubeApiError } from "../../shared/k8s/errors.js";
import { storageLocation } from "../../backup/controllers/storage-access.js";
import { createS3Client, describeS3Error } from "../../backup/s3/client.js";
import { HeadBucketCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { TEMPLATE_TYPE, slim } from "./api.js";
import { HttpError } from "./http.js";
import type { UserApi } from "./identity.js";

/**
 * The catalog (DatabaseTemplates, cluster-scoped) and the admin page's backup storages. The
 * template kind may not be installed: the page then says so instead of failing.
 */
export async function listTemplates(api: UserApi): Promise<{ installed: boolean; items: KubeObject[]; message?: string }> {
  try {
    const list = z.object({ items: z.array(z.looseObject({})) }).parse(await api.raw({ method: "GET", path: resourcePath(TEMPLATE_TYPE, undefined) }));
    return { installed: true, items: list.items.map((item) => slim({ apiVersion: API_VERSION, kind: "DatabaseTemplate", ...item } as KubeObject)) };
  } catch (error) {
    if (error instanceof KubeApiError && error.statusCode === 404) return { installed: false, items: [], message: "The catalog is not installed: this cluster has no DatabaseTemplate resource type (CRD databasetemplates.steward.dev)." };
    if (error instanceof KubeApiError && error.statusCode === 403) return { installed: true, items: [], message: error.message };
    throw error;
  }
}

const quantityOrScalar = z.union([z.string(), z.number(), z.boolean()]);

export const templateDeploy = z.strictObject({
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(63),
  name: z.string().regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, "a DNS label starting with a letter").max(40),
  template: z.strictObject({ name: z.string().min(1).max(253), size: z.string().max(63).optional(), parameters: z.record(z.string(), quantityOrScalar).optional() }),
  dryRun: z.boolean().default(false),
});

export function clusterFromTemplate(request: z.infer<typeof templateDeploy>): KubeObject {
  return { apiVersion: API_VERSION, kind: "DatabaseCluster", metadata: { name: request.name, namespace: request.namespace }, spec: { template: request.template } };
}

/** Creates (or with dryRun, has the API server check and resolve) a DatabaseCluster that names a template. */
export async function deployTemplate(api: UserApi, body: unknown): Promise<KubeObject> {
  const request = templateDeploy.parse(body);
  const object = clusterFromTemplate(request);
  const created = await api.raw({
    method: "POST",
    path: resourcePath(RESOURCES.DatabaseCluster, request.namespace),
    query: request.dryRun ? { dryRun: "All", fieldValidation: "Strict" } : { fieldValidation: "Strict" },
    body: object,
  });
  return slim(created as KubeObject);
}

export async function listStorages(api: UserApi): Promise<KubeObject[]> {
  return (await api.client.list(RESOURCES.BackupStorage)).items.map(slim);
}

/**
 * "Test connection": reads the storage and its credentials with the user's identity (so only
 * someone who may read that Secret can test), then makes real S3 calls: HeadBucket and a
 * one-key listing under the prefix.
 */
export async function testStorage(api: UserApi, namespace: string, name: string): Promise<{ ok: boolean; message: string; milliseconds: number }> {
  const raw = await api.client.get(RESOURCES.BackupStorage, namespace, name);
  if (!raw) throw new HttpError(404, `BackupStorage ${name} not found in namespace ${namespace}`);
  const storage = backupStorage.parse(raw);
  const secret = await api.client.get(RESOURCES.Secret, namespace, storage.spec.s3.credentialsSecret.name);
  const data = z.object({ accessKeyId: z.string(), secretAccessKey: z.string() }).safeParse((secret as { data?: unknown } | undefined)?.data ?? {});
  if (!data.success) throw new HttpError(400, `Secret ${storage.spec.s3.credentialsSecret.name} needs keys accessKeyId and secretAccessKey`);
  const s3 = storage.spec.s3;
  const target = `s3://${s3.bucket}/${s3.prefix}`;
  const started = Date.now();
  let client: S3Client;
  try {
    client = createS3Client({
      ...storageLocation(storage),
      accessKeyId: Buffer.from(data.data.accessKeyId, "base64").toString("utf8"),
      secretAccessKey: Buffer.from(data.data.secretAccessKey, "base64").toString("utf8"),
    }, { maxAttempts: 1, connectionTimeoutMs: 5_000, requestTimeoutMs: 10_000 });
  } catch (error) {
    return { ok: false, message: (error as Error).message, milliseconds: 0 };
  }
  try {
    await client.send(new HeadBucketCommand({ Bucket: s3.bucket }));
    const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: s3.prefix, MaxKeys: 1 }));
    return { ok: true, message: `Reached ${target}${s3.endpoint ? ` at ${s3.endpoint}` : ""}: bucket exists, listing allowed (${listed.KeyCount ? "objects present" : "empty prefix"}).`, milliseconds: Date.now() - started };
  } catch (error) {
    return { ok: false, message: describeS3Error(error, "HeadBucket", target).message, milliseconds: Date.now() - started };
  } finally {
    client.destroy();
  }
}
