import { z } from "zod";
import { compressionExtension, type Compression } from "./format/compression.js";

/**
 * What Steward writes next to every stored object: enough to restore it without the API
 * objects that made it (the DatabaseBackup may be gone; the bucket is the record).
 *
 * Bucket layout under the storage's prefix:
 *   <namespace>/<cluster>/backups/<backup>/data.sql.zst[.enc]   the dump
 *   <namespace>/<cluster>/backups/<backup>/manifest.json        written last: its presence means Completed
 *   <namespace>/<cluster>/logs/<stream>/<segment>[.zst][.enc]   archived binlogs / oplog slices
 *   <namespace>/<cluster>/logs/<stream>/<segment>.json          the segment's manifest, written after it
 *   <namespace>/<cluster>/logs/<stream>/archiver.json           how far the archiver got ("archived until")
 */
export const MANIFEST_FORMAT = 1;

export const encryptionInfo = z.object({
  algorithm: z.literal("AES-256-GCM-STREAM-v1"),
  keyId: z.string(),
  chunkBytes: z.int(),
});
export type EncryptionInfo = z.infer<typeof encryptionInfo>;

export const storedObject = z.object({
  key: z.string(),
  size: z.int().min(0).describe("Bytes stored"),
  rawSize: z.int().min(0).describe("Bytes before compression and encryption"),
  sha256: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  compression: z.enum(["zstd", "gzip", "none"]),
  encryption: encryptionInfo.nullable(),
  contentType: z.string(),
});
export type StoredObject = z.infer<typeof storedObject>;

/** Engine-specific: GTID set and binlog coordinates (MySQL), replication offset (Redis), oplog time (MongoDB). */
export const backupPosition = z.looseObject({
  summary: z.string().describe("One line for people and status.position"),
});
export type BackupPosition = z.infer<typeof backupPosition>;

export const backupManifest = z.object({
  format: z.literal(MANIFEST_FORMAT),
  kind: z.literal("Backup"),
  engine: z.string(),
  flavor: z.string().optional(),
  version: z.string(),
  producer: z.string().describe("The tool that made the dump and its version"),
  cluster: z.object({ namespace: z.string(), name: z.string() }),
  backup: z.string(),
  method: z.enum(["logical", "physical"]),
  startedAt: z.string(),
  completedAt: z.string(),
  /** The moment the data is consistent at (a point-in-time restore replays logs from here). */
  consistentAt: z.string(),
  position: backupPosition,
  data: storedObject,
  /** Incremental (physical) backups: what they apply on top of. A restore reads the chain from `base` to this one. */
  chain: z
    .object({
      base: z.string().describe("The full backup the chain starts from"),
      parent: z.string().describe("The backup this one holds the changes since"),
    })
    .optional(),
  /**
   * Per-table checksums of the data as the backup holds it, recorded at backup time where the
   * engine can (MySQL physical copies: CHECKSUM TABLE in a snapshot taken at the copy's end). A
   * restore of this backup alone (no log replay) must reproduce them.
   */
  checksums: z.array(z.object({ table: z.string(), checksum: z.string() })).optional(),
});
export type BackupManifest = z.infer<typeof backupManifest>;

export const logSegmentManifest = z.object({
  format: z.literal(MANIFEST_FORMAT),
  kind: z.literal("LogSegment"),
  engine: z.string(),
  cluster: z.object({ namespace: z.string(), name: z.string() }),
  stream: z.string().describe("Which server's log this is (segments of different servers never share a stream)"),
  segment: z.string().describe("The engine's name for it, e.g. mysql-bin.000042"),
  firstEventAt: z.string().optional().describe("Absent for a segment without events"),
  lastEventAt: z.string().optional(),
  startPosition: z.string().optional(),
  endPosition: z.string().optional(),
  archivedAt: z.string(),
  data: storedObject,
});
export type LogSegmentManifest = z.infer<typeof logSegmentManifest>;

export const archiverState = z.object({
  format: z.literal(MANIFEST_FORMAT),
  kind: z.literal("ArchiverState"),
  stream: z.string(),
  /** Every transaction committed on this stream before this time is archived. */
  archivedUntil: z.string(),
  lastSegment: z.string().optional(),
  /** Breaks the archiver saw in its stream (the engine's log rolled over before it was archived): a restore cannot cross them. */
  gaps: z
    .array(z.object({ after: z.string(), before: z.string(), message: z.string(), detectedAt: z.string(), lastArchivedAt: z.string().optional(), nextArchivedAt: z.string().optional() }))
    .optional(),
});
export type ArchiverState = z.infer<typeof archiverState>;

export interface ClusterRef {
  namespace: string;
  name: string;
}

export function clusterPrefix(storagePrefix: string, cluster: ClusterRef): string {
  return `${storagePrefix}${cluster.namespace}/${cluster.name}/`;
}

export function backupPrefix(storagePrefix: string, cluster: ClusterRef, backup: string): string {
  return `${clusterPrefix(storagePrefix, cluster)}backups/${backup}/`;
}

export function backupDataKey(storagePrefix: string, cluster: ClusterRef, backup: string, dataExtension: string, compression: Compression, encrypted: boolean): string {
  return `${backupPrefix(storagePrefix, cluster, backup)}data${dataExtension}${compressionExtension(compression)}${encrypted ? ".enc" : ""}`;
}

export function backupManifestKey(storagePrefix: string, cluster: ClusterRef, backup: string): string {
  return `${backupPrefix(storagePrefix, cluster, backup)}manifest.json`;
}

export function logsPrefix(storagePrefix: string, cluster: ClusterRef): string {
  return `${clusterPrefix(storagePrefix, cluster)}logs/`;
}

export function logStreamPrefix(storagePrefix: string, cluster: ClusterRef, stream: string): string {
  return `${logsPrefix(storagePrefix, cluster)}${stream}/`;
}

export function logSegmentKeys(storagePrefix: string, cluster: ClusterRef, stream: string, segment: string, compression: Compression, encrypted: boolean): { data: string; manifest: string } {
  const base = `${logStreamPrefix(storagePrefix, cluster, stream)}${segment}`;
  return { data: `${base}${compressionExtension(compression)}${encrypted ? ".enc" : ""}`, manifest: `${base}.json` };
}

export function archiverStateKey(storagePrefix: string, cluster: ClusterRef, stream: string): string {
  return `${logStreamPrefix(storagePrefix, cluster, stream)}archiver.json`;
}

/** s3://bucket/key, as status and people read it. */
export function s3Url(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

export function parseManifest(text: string, where: string): BackupManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`the manifest ${where} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const parsed = backupManifest.safeParse(json);
  if (!parsed.success) throw new Error(`the manifest ${where} is not a Steward backup manifest: ${parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}`);
  return parsed.data;
}

/** The DatabaseBackup status fields a manifest fills in (the agent reports them; the operator reads them back after a crash). */
export function completedStatusOf(manifest: BackupManifest, bucket: string, manifestKey: string) {
  return {
    phase: "Completed" as const,
    completedAt: manifest.completedAt,
    location: s3Url(bucket, manifest.data.key),
    manifest: s3Url(bucket, manifestKey),
    size: manifest.data.size,
    rawSize: manifest.data.rawSize,
    checksum: manifest.data.sha256,
    engine: manifest.engine,
    flavor: manifest.flavor,
    version: manifest.version,
    position: manifest.position.summary,
    consistentAt: manifest.consistentAt,
    method: manifest.method,
    parent: manifest.chain?.parent,
    encrypted: manifest.data.encryption !== null,
    encryptionKeyId: manifest.data.encryption?.keyId,
    progress: { bytes: manifest.data.size, updatedAt: manifest.completedAt },
  };
}
