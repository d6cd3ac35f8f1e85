import { z } from "zod";
import { API_VERSION, condition, localObjectReference, objectMeta, secretKeySelector } from "./common.js";

const PREFIX_DOTS_MESSAGE = "prefix must not contain a . or .. segment";

const PLAINTEXT_MESSAGE = "endpoint is http://: backups and S3 credentials would cross the network in plaintext; use https://, or set spec.s3.allowInsecure: true to accept that";
const CA_BUNDLE_MESSAGE = "caBundle must be PEM text holding at least one -----BEGIN CERTIFICATE----- block";

export const backupStorageSpec = z.object({
  s3: z.object({
    // The CRD generator drops zod's URL check (no "format" the API server enforces): CEL says it.
    endpoint: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .meta({ "x-kubernetes-validations": [{ rule: "self.matches('^https?://[^/?#@\\\\s]+(/.*)?$')", message: "endpoint must be an http:// or https:// URL without credentials, e.g. https://s3.example:9000" }] })
      .optional()
      .describe("S3 endpoint URL; omit for AWS"),
    region: z.string().min(1).max(64).default("us-east-1"),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "bucket must be a valid S3 bucket name"),
    // No "." or ".." segment: some S3 servers and proxies normalise them, which would put one
    // storage's objects under another's prefix.
    prefix: z
      .string()
      .max(512)
      .regex(/^([^/].*\/)?$/, "prefix must be empty or end with / and not start with /")
      .refine((text) => !/(^|\/)\.\.?\//.test(text), PREFIX_DOTS_MESSAGE)
      .meta({ "x-kubernetes-validations": [{ rule: "!self.matches('(^|/)[.][.]?/')", message: PREFIX_DOTS_MESSAGE }] })
      .default(""),
    forcePathStyle: z.boolean().default(false),
    credentialsSecret: localObjectReference.describe("Secret with keys accessKeyId and secretAccessKey"),
    // Inline PEM, like a webhook's caBundle: a CA is public, so it needs no Secret, and agents
    // get it with the rest of the storage's location.
    caBundle: z
      .string()
      .max(65536)
      .refine((text) => text.includes("-----BEGIN CERTIFICATE-----"), CA_BUNDLE_MESSAGE)
      .meta({ "x-kubernetes-validations": [{ rule: "self.contains('-----BEGIN CERTIFICATE-----')", message: CA_BUNDLE_MESSAGE }] })
      .optional()
      .describe("PEM CA certificates trusted for an https endpoint, in addition to the system roots"),
    insecureSkipVerify: z.boolean().default(false).describe("Do not verify the https endpoint's certificate (a test server only: anyone on the path can read and change backups)"),
    allowInsecure: z.boolean().default(false).describe("Accept an http:// endpoint: backups and credentials cross the network in plaintext"),
  }).meta({ "x-kubernetes-validations": [{ rule: "!has(self.endpoint) || !self.endpoint.startsWith('http://') || (has(self.allowInsecure) && self.allowInsecure)", fieldPath: ".endpoint", message: PLAINTEXT_MESSAGE }] }),
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
