import { z } from "zod";
import { API_VERSION, condition, localObjectReference, objectMeta, secretKeySelector } from "./common.js";

export const backupStorageSpec = z.object({
  s3: z.object({
    endpoint: z.url({ protocol: /^https?$/ }).optional().describe("S3 endpoint URL; omit for AWS"),
    region: z.string().min(1).max(64).default("us-east-1"),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "bucket must be a valid S3 bucket name"),
    prefix: z.string().max(512).regex(/^([^/].*\/)?$/, "prefix must be empty or end with / and not start with /").default(""),
    forcePathStyle: z.boolean().default(false),
    credentialsSecret: localObjectReference.describe("Secret with keys accessKeyId and secretAccessKey"),
  }),
  encryption: z
    .object({ keySecret: secretKeySelector.describe("Secret key holding the 32-byte AES-256 key, raw or base64") })
    .optional()
    .describe("Client-side AES-256-GCM encryption of every object written"),
});
export type BackupStorageSpec = z.infer<typeof backupStorageSpec>;

export const backupStorageStatus = z.object({
  phase: z.enum(["Pending", "Available", "Unavailable"]).optional(),
  observedGeneration: z.int().optional(),
  lastCheckedAt: z.string().optional(),
  conditions: z.array(condition).optional(),
});
export type BackupStorageStatus = z.infer<typeof backupStorageStatus>;

export const backupStorage = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("BackupStorage"),
  metadata: objectMeta,
  spec: backupStorageSpec,
  status: backupStorageStatus.optional(),
});
export type BackupStorage = z.infer<typeof backupStorage>;
