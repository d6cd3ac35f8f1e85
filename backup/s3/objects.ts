import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { describeS3Error } from "./client.js";

/**
 * Part size and parallelism of multipart uploads. Memory held by an upload grows with the
 * part size: lib-storage collects a part's chunks and copies them into one buffer, and one
 * part is in flight while the stream waits (the dump, not S3, is the slower side). So parts
 * are as small as S3 allows (5 MiB) while the object still fits its 10,000 parts
 * (partBytesFor); STEWARD_S3_PART_BYTES fixes the size instead.
 */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** When the engine gave no size: objects up to ~80 GB. */
export const DEFAULT_PART_BYTES = 8 * 1024 * 1024;
export const MAX_PARTS = 10_000;
export const UPLOAD_QUEUE_SIZE = Number(process.env.STEWARD_S3_QUEUE_SIZE ?? 1);

/**
 * The part size for a backup of `dataBytes` (the engine's own figure for its data): the stored
 * object is taken to be at most 4× that (a dump writes binary as hex and numbers as text;
 * compression only shrinks it), in whole MiB, at least 5 MiB. 5 MiB parts cover databases up
 * to about 12 GiB; larger ones get larger parts, and the agent needs about two parts more memory.
 */
export function partBytesFor(dataBytes: number | undefined, fixed = process.env.STEWARD_S3_PART_BYTES): number {
  if (fixed) return Number(fixed);
  if (dataBytes === undefined || !Number.isFinite(dataBytes)) return DEFAULT_PART_BYTES;
  const needed = Math.ceil((dataBytes * 4) / (MAX_PARTS - 100));
  return Math.max(MIN_PART_BYTES, Math.ceil(needed / 1048576) * 1048576);
}

export interface UploadOptions {
  contentType?: string;
  signal?: AbortSignal;
  partBytes?: number;
  queueSize?: number;
}

/**
 * Streams a body of unknown length into one object: a multipart upload for anything over a
 * part, a single PUT below it. Nothing touches the disk. On failure the multipart upload is
 * aborted (so no half object remains) and the error names the S3 call that failed.
 */
export async function uploadStream(client: S3Client, bucket: string, key: string, body: Readable, options: UploadOptions = {}): Promise<void> {
  const upload = new Upload({
    client,
    params: { Bucket: bucket, Key: key, Body: body, ContentType: options.contentType ?? "application/octet-stream" },
    partSize: options.partBytes ?? partBytesFor(undefined),
    queueSize: options.queueSize ?? UPLOAD_QUEUE_SIZE,
    // Parts are removed below, after the real error is kept: lib-storage's own abort would
    // replace an UploadPart error with the AbortMultipartUpload error when S3 is down.
    leavePartsOnError: true,
  });
  const onAbort = () => void upload.abort().catch(() => undefined);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await upload.done();
  } catch (error) {
    await abortMultipart(client, bucket, key, upload).catch(() => undefined);
    // A source stream error is not an S3 error: let the caller name it.
    if (body.errored && error === body.errored) throw error;
    throw describeS3Error(error, "Upload", `s3://${bucket}/${key}`);
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/** Removes the parts of a failed multipart upload, best effort (an S3 lifecycle rule is the backstop). */
async function abortMultipart(client: S3Client, bucket: string, key: string, upload: Upload): Promise<void> {
  const uploadId = upload.uploadId;
  if (uploadId) await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
}

export async function putText(client: S3Client, bucket: string, key: string, text: string, contentType = "application/json"): Promise<void> {
  try {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text, ContentType: contentType }));
  } catch (error) {
    throw describeS3Error(error, "PutObject", `s3://${bucket}/${key}`);
  }
}

/** The object's bytes as a stream (nothing buffered beyond the socket's). */
export async function getStream(client: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<{ stream: Readable; size?: number }> {
  try {
    const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    const body = response.Body;
    if (!(body instanceof Readable)) throw new Error("GetObject returned no stream body");
    return { stream: body, size: response.ContentLength };
  } catch (error) {
    throw describeS3Error(error, "GetObject", `s3://${bucket}/${key}`);
  }
}

export async function getText(client: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await response.Body!.transformToString("utf8");
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw describeS3Error(error, "GetObject", `s3://${bucket}/${key}`);
  }
}

export async function headObject(client: S3Client, bucket: string, key: string): Promise<{ size: number } | undefined> {
  try {
    const response = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { size: response.ContentLength ?? 0 };
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw describeS3Error(error, "HeadObject", `s3://${bucket}/${key}`);
  }
}

export interface ListedObject {
  key: string;
  size: number;
  lastModified?: Date;
}

export async function listObjects(client: S3Client, bucket: string, prefix: string): Promise<ListedObject[]> {
  const objects: ListedObject[] = [];
  await forEachObject(client, bucket, prefix, (object) => void objects.push(object));
  return objects;
}

/** Every object under the prefix, page by page, without holding the whole listing. */
export async function forEachObject(client: S3Client, bucket: string, prefix: string, visit: (object: ListedObject) => void): Promise<void> {
  let token: string | undefined;
  try {
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const item of page.Contents ?? []) if (item.Key) visit({ key: item.Key, size: item.Size ?? 0, lastModified: item.LastModified });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } catch (error) {
    throw describeS3Error(error, "ListObjectsV2", `s3://${bucket}/${prefix}`);
  }
}

/** Removes every object under the prefix; returns how many. Idempotent: nothing there is success. */
export async function deletePrefix(client: S3Client, bucket: string, prefix: string): Promise<number> {
  if (!prefix.endsWith("/")) throw new Error(`refusing to delete under "${prefix}": a prefix to delete must end with /`);
  const keys = (await listObjects(client, bucket, prefix)).map((object) => object.key);
  for (let start = 0; start < keys.length; start += 1000) {
    const batch = keys.slice(start, start + 1000);
    try {
      const result = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
      const failed = result.Errors?.[0];
      if (failed) throw Object.assign(new Error(`${failed.Code ?? "Error"} ${failed.Message ?? ""} (${failed.Key})`), { $metadata: result.$metadata });
    } catch (error) {
      throw describeS3Error(error, "DeleteObjects", `s3://${bucket}/${prefix}`);
    }
  }
  return keys.length;
}

export async function deleteObject(client: S3Client, bucket: string, key: string): Promise<void> {
  try {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    if (isMissing(error)) return;
    throw describeS3Error(error, "DeleteObject", `s3://${bucket}/${key}`);
  }
}

/**
 * What the BackupStorage controller checks: the bucket answers, and a small object can be
 * written, read back and removed with these credentials.
 */
export async function probeStorage(client: S3Client, bucket: string, prefix: string): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    throw describeS3Error(error, "HeadBucket", `s3://${bucket}`);
  }
  const key = `${prefix}.steward-probe-${randomBytes(6).toString("hex")}`;
  const body = `steward storage check ${new Date().toISOString()}`;
  await putText(client, bucket, key, body, "text/plain");
  const read = await getText(client, bucket, key);
  await deleteObject(client, bucket, key);
  if (read !== body) throw new Error(`S3 GetObject s3://${bucket}/${key} returned other bytes than were written`);
}

function isMissing(error: unknown): boolean {
  const shape = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return shape?.name === "NoSuchKey" || shape?.name === "NotFound" || shape?.$metadata?.httpStatusCode === 404;
}
