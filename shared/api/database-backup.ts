import { z } from "zod";
import { API_VERSION, MAX_CLUSTER_NAME, condition, objectMeta, objectName } from "./common.js";

export const BACKUP_PHASES = ["Pending", "Running", "Completed", "Failed"] as const;
export type BackupPhase = (typeof BACKUP_PHASES)[number];

export const databaseBackupSpec = z
  .object({
    cluster: objectName(MAX_CLUSTER_NAME).describe("The DatabaseCluster to back up, in this namespace"),
    storage: objectName().optional().describe("BackupStorage to write to; default the cluster's spec.backup.storage"),
    method: z.enum(["logical", "physical"]).default("logical").describe("logical: the engine's dump; physical: a file-level copy where the engine supports it"),
    incremental: z
      .boolean()
      .optional()
      .describe("physical only: copy just the pages changed since the newest Completed physical backup of the cluster (a full copy when there is none); restoring it restores its chain"),
    compression: z.enum(["zstd", "gzip", "none"]).optional().describe("Default the cluster's spec.backup.compression (zstd)"),
    deletionPolicy: z.enum(["Delete", "Retain"]).default("Delete").describe("Delete removes the objects in S3 when this resource is deleted"),
  })
  .refine((spec) => !spec.incremental || spec.method === "physical", { message: "incremental backups are physical: set method: physical", path: ["incremental"] })
  .meta({
    "x-kubernetes-validations": [
      { rule: "self == oldSelf", message: "a backup's spec is immutable; create a new DatabaseBackup" },
      { rule: "!has(self.incremental) || !self.incremental || self.method == 'physical'", message: "incremental backups are physical: set method: physical", fieldPath: ".incremental" },
    ],
  });
export type DatabaseBackupSpec = z.infer<typeof databaseBackupSpec>;

export const databaseBackupStatus = z.object({
  phase: z.enum(BACKUP_PHASES).optional(),
  observedGeneration: z.int().optional(),
  startedAt: z.string().optional(),
  completedAt: z.string().optional(),
  storage: z.string().optional(),
  location: z.string().optional().describe("s3://bucket/key of the data object"),
  manifest: z.string().optional().describe("s3://bucket/key of the manifest"),
  size: z.int().optional().describe("Bytes stored in S3 (after compression and encryption)"),
  rawSize: z.int().optional().describe("Bytes the engine produced before compression"),
  checksum: z.string().optional().describe("sha256:<hex> of the stored bytes"),
  engine: z.string().optional(),
  flavor: z.string().optional(),
  version: z.string().optional(),
  position: z.string().optional().describe("Replication position the backup is consistent at: GTID set, binlog file:offset, replication offset"),
  encrypted: z.boolean().optional(),
  encryptionKeyId: z.string().optional(),
  progress: z.object({ bytes: z.int(), updatedAt: z.string() }).optional(),
  job: z.string().optional(),
  error: z.object({ step: z.string(), message: z.string() }).optional(),
  consistentAt: z.string().optional().describe("When the backup's data is consistent (point-in-time restores start here)"),
  method: z.enum(["logical", "physical"]).optional().describe("How the stored copy was made (from its manifest)"),
  parent: z.string().optional().describe("Incremental physical backups: the backup this one applies on top of (retention keeps it while this one is kept)"),
  scheduledFor: z.string().optional().describe("The due time of the schedule this backup was created for"),
  verification: z
    .object({
      result: z.enum(["Verified", "Failed"]),
      message: z.string(),
      checkedAt: z.string(),
      tables: z.array(z.object({ table: z.string(), checksum: z.string() })).optional(),
    })
    .optional()
    .describe("Result of restoring this backup into a throwaway instance (spec.backup.verify)"),
  conditions: z.array(condition).optional(),
});
export type DatabaseBackupStatus = z.infer<typeof databaseBackupStatus>;

export const databaseBackup = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("DatabaseBackup"),
  metadata: objectMeta,
  spec: databaseBackupSpec,
  status: databaseBackupStatus.optional(),
});
export type DatabaseBackup = z.infer<typeof databaseBackup>;
