import { PassThrough, Transform, Writable, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { S3Client } from "@aws-sdk/client-s3";
import type { Logger } from "../shared/log.js";
import type { EngineBackup, EngineEndpoint } from "./engine-backup.js";
import { createCompressStream, createDecompressStream, type Compression } from "./format/compression.js";
import { DEFAULT_CHUNK_BYTES, createDecryptStream, createEncryptStream, encryptionKeyId } from "./format/encryption.js";
import { MeasureStream } from "./format/measure.js";
import { MANIFEST_FORMAT, backupDataKey, backupManifestKey, parseManifest, s3Url, type BackupManifest, type ClusterRef, type StoredObject } from "./manifest.js";
import { S3CallError, type StorageTarget } from "./s3/client.js";
import { getStream, getText, headObject, partBytesFor, putText, uploadStream } from "./s3/objects.js";
import { ToolError } from "./tool-process.js";

/** A failure with the step it happened in, so status can say "upload: S3 UploadPart ... HTTP 503". */
export class StepError extends Error {
  override readonly name = "StepError";
  constructor(
    readonly step: string,
    override readonly cause: unknown,
  ) {
    super(`${step}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** The step and message a status reports for any error (a StepError's own, else the fallback step). */
export function describeFailure(error: unknown, fallbackStep: string): { step: string; message: string } {
  if (error instanceof StepError) return { step: error.step, message: error.cause instanceof Error ? error.cause.message : String(error.cause) };
  return { step: fallbackStep, message: error instanceof Error ? error.message : String(error) };
}

export async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw error instanceof StepError ? error : new StepError(name, error);
  }
}

/** Counts bytes passing through, without hashing (the raw dump's size). */
export function byteCounter(onBytes: (total: number) => void): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.length;
      onBytes(total);
      callback(null, chunk);
    },
  });
}

export interface StorageContext {
  client: S3Client;
  target: StorageTarget;
  /** The 32-byte key when the storage encrypts; undefined stores plaintext (compressed). */
  key?: Buffer;
}

export interface BackupRun {
  engine: EngineBackup;
  endpoint: EngineEndpoint;
  storage: StorageContext;
  cluster: ClusterRef;
  backup: string;
  method: "logical" | "physical";
  /** An incremental physical backup: the backup it holds the changes since (the chain's newest). */
  parent?: BackupManifest;
  compression: Compression;
  signal: AbortSignal;
  log: Logger;
  /** Bytes stored so far (after compression and encryption), and bytes the engine produced. */
  onProgress?: (progress: { storedBytes: number; rawBytes: number }) => void;
  now?: () => Date;
}

/**
 * One backup: the engine's dump → compression → encryption → sha256 → multipart upload, then
 * the manifest. The manifest is written only when the tool exited cleanly and every part is
 * stored, so its presence means the backup is whole.
 */
export async function runBackup(run: BackupRun): Promise<BackupManifest> {
  const now = run.now ?? (() => new Date());
  const { client, target, key } = run.storage;
  const startedAt = now();
  const identity = await step("connect", () => run.engine.identify(run.endpoint, run.signal));
  const dump = await step("dump", () => run.engine.dump({ endpoint: run.endpoint, method: run.method, parent: run.parent, signal: run.signal, log: run.log }));
  const dataKey = backupDataKey(target.prefix, run.cluster, run.backup, dump.extension, run.compression, key !== undefined);
  let rawBytes = 0;
  const stored = new MeasureStream((storedBytes) => run.onProgress?.({ storedBytes, rawBytes }));
  const stages: (Readable | Transform)[] = [dump.stream, byteCounter((total) => (rawBytes = total)), createCompressStream(run.compression)];
  if (key) stages.push(createEncryptStream(key));
  stages.push(stored);
  run.log.info({ location: s3Url(target.bucket, dataKey), compression: run.compression, encrypted: key !== undefined }, "Streaming the dump to S3");

  const body = new PassThrough({ highWaterMark: 1024 * 1024 });
  // Whichever part fails first names the step; the others then fail only because it stopped
  // them (the tool is killed when its output is abandoned, the upload aborts on a broken body).
  const failures: unknown[] = [];
  const settle = (promise: Promise<unknown>) =>
    promise.catch((error: unknown) => {
      failures.push(error);
      body.destroy();
      dump.stream.destroy();
    });
  await Promise.all([
    settle(pipeline([...stages, body] as unknown as [Readable, PassThrough])),
    settle(uploadStream(client, target.bucket, dataKey, body, { contentType: dump.contentType, signal: run.signal, partBytes: partBytesFor(identity.dataBytes) })),
    settle(dump.done),
  ]);
  if (failures.length > 0) {
    // A tool that failed by itself explains everything; then S3; a tool we killed, or a broken
    // stream, only follows from one of those.
    const first =
      failures.find((error) => error instanceof ToolError && !error.killed) ?? failures.find((error) => error instanceof S3CallError) ?? failures.find((error) => error instanceof ToolError) ?? failures[0];
    throw new StepError(first instanceof ToolError ? "dump" : first instanceof S3CallError ? "upload" : "compress", first);
  }

  const manifest: BackupManifest = {
    format: MANIFEST_FORMAT,
    kind: "Backup",
    engine: identity.engine,
    flavor: identity.flavor,
    version: identity.version,
    producer: dump.producer,
    cluster: run.cluster,
    backup: run.backup,
    method: run.method,
    startedAt: startedAt.toISOString(),
    completedAt: now().toISOString(),
    consistentAt: dump.consistentAt().toISOString(),
    position: dump.position(),
    data: storedObjectOf(dataKey, stored, rawBytes, run.compression, key, dump.contentType),
    chain: run.parent && dump.incremental?.() ? { base: run.parent.chain?.base ?? run.parent.backup, parent: run.parent.backup } : undefined,
    checksums: dump.checksums?.(),
  };
  await step("manifest", () => putText(client, target.bucket, backupManifestKey(target.prefix, run.cluster, run.backup), `${JSON.stringify(manifest, null, 2)}\n`));
  return manifest;
}

export function storedObjectOf(key: string, stored: MeasureStream, rawBytes: number, compression: Compression, encryptionKey: Buffer | undefined, contentType: string): StoredObject {
  return {
    key,
    size: stored.bytes,
    rawSize: rawBytes,
    sha256: stored.sha256(),
    compression,
    encryption: encryptionKey ? { algorithm: "AES-256-GCM-STREAM-v1", keyId: encryptionKeyId(encryptionKey), chunkBytes: DEFAULT_CHUNK_BYTES } : null,
    contentType,
  };
}

export async function readBackupManifest(storage: StorageContext, cluster: ClusterRef, backup: string): Promise<BackupManifest | undefined> {
  const key = backupManifestKey(storage.target.prefix, cluster, backup);
  const text = await getText(storage.client, storage.target.bucket, key);
  return text === undefined ? undefined : parseManifest(text, s3Url(storage.target.bucket, key));
}

export class ChecksumMismatchError extends Error {
  override readonly name = "ChecksumMismatchError";
}

/**
 * Reads a stored object once end to end and compares its size and sha256 with the manifest,
 * before anything is loaded: a damaged backup must fail the restore, not half-load it.
 */
export async function verifyStoredObject(storage: StorageContext, object: StoredObject, signal?: AbortSignal): Promise<void> {
  const where = s3Url(storage.target.bucket, object.key);
  const head = await headObject(storage.client, storage.target.bucket, object.key);
  if (!head) throw new Error(`the data object ${where} is missing`);
  if (head.size !== object.size) throw new ChecksumMismatchError(`checksum mismatch for ${where}: the manifest says ${object.size} bytes (${object.sha256}), S3 holds ${head.size} bytes`);
  const { stream } = await getStream(storage.client, storage.target.bucket, object.key, signal);
  const measure = new MeasureStream();
  await pipeline(stream, measure, new Writable({ write: (_chunk, _encoding, callback) => callback() }));
  if (measure.sha256() !== object.sha256) throw new ChecksumMismatchError(`checksum mismatch for ${where}: the manifest says ${object.sha256}, the stored bytes hash to ${measure.sha256()}`);
}

/**
 * The stored object's original bytes: download → sha256 check (again, while streaming) →
 * decryption → decompression. The returned stream errors if the bytes changed since the
 * pre-check or the key is wrong.
 */
export async function openStoredObject(storage: StorageContext, object: StoredObject, options: { signal?: AbortSignal; onStoredBytes?: (bytes: number) => void } = {}): Promise<Readable> {
  if (object.encryption && !storage.key) throw new Error(`the object ${object.key} is encrypted (key ${object.encryption.keyId}) but the storage has no encryption key`);
  if (object.encryption && storage.key && encryptionKeyId(storage.key) !== object.encryption.keyId) {
    throw new Error(`the object ${object.key} was encrypted with key ${object.encryption.keyId}, the storage's key is ${encryptionKeyId(storage.key)}`);
  }
  const { stream } = await getStream(storage.client, storage.target.bucket, object.key, options.signal);
  const measure = new MeasureStream(options.onStoredBytes);
  const checked = new Transform({
    transform(chunk, _encoding, callback) {
      callback(null, chunk);
    },
    flush(callback) {
      const actual = measure.sha256();
      callback(actual === object.sha256 ? null : new ChecksumMismatchError(`checksum mismatch for ${s3Url(storage.target.bucket, object.key)}: the manifest says ${object.sha256}, the bytes read hash to ${actual}`));
    },
  });
  const stages: (Readable | Transform)[] = [stream, measure, checked];
  if (object.encryption) stages.push(createDecryptStream(storage.key!));
  stages.push(createDecompressStream(object.compression));
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  pipeline([...stages, out] as unknown as [Readable, PassThrough]).catch((error: unknown) => out.destroy(error as Error));
  return out;
}

export interface RestoreRun {
  engine: EngineBackup;
  endpoint?: EngineEndpoint;
  dataDir?: string;
  storage: StorageContext;
  manifest: BackupManifest;
  /** Remove the target's user data first (in-place restores). */
  replaceExisting?: boolean;
  /** Physical chains: this manifest's place in the chain, and scratch space beside dataDir. */
  layer?: { index: number; count: number };
  workDir?: string;
  signal: AbortSignal;
  log: Logger;
  onProgress?: (progress: { storedBytes: number; totalBytes: number }) => void;
}

/**
 * Loads one backup. Where the load replaces the target's data (in place), the stored object
 * is checked end to end first, so a damaged backup never costs the data it would replace.
 * Into an empty target (a new cluster, whose check Job already read the object) the object is
 * read once: it is checked while it streams, and when the load fails the object is checked
 * again so that a damaged backup is named as such, not by the decompressor's or the SQL
 * client's reaction to it. The failed target is discarded either way.
 */
export async function runRestore(run: RestoreRun): Promise<void> {
  const object = run.manifest.data;
  if (run.replaceExisting) await step("checksum", () => verifyStoredObject(run.storage, object, run.signal));
  const data = await step("download", () =>
    openStoredObject(run.storage, object, { signal: run.signal, onStoredBytes: (storedBytes) => run.onProgress?.({ storedBytes, totalBytes: object.size }) }),
  );
  try {
    await step("load", () => run.engine.load(data, {
      endpoint: run.endpoint,
      dataDir: run.dataDir,
      replaceExisting: run.replaceExisting,
      method: run.manifest.method,
      layer: run.layer,
      workDir: run.workDir,
      signal: run.signal,
      log: run.log,
    }));
  } catch (error) {
    if (error instanceof StepError && error.cause instanceof ChecksumMismatchError) throw new StepError("checksum", error.cause);
    if (!run.replaceExisting && !run.signal.aborted) {
      const damaged = await verifyStoredObject(run.storage, object, run.signal).then(
        () => undefined,
        (checked: unknown) => (checked instanceof ChecksumMismatchError ? checked : undefined),
      );
      if (damaged) throw new StepError("checksum", damaged);
    }
    throw error;
  }
}
