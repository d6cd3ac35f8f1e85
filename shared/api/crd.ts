import { z } from "zod";
import { GROUP, MAX_CLUSTER_NAME, VERSION } from "./common.js";
import { backupStorageSpec, backupStorageStatus } from "./backup-storage.js";
import { databaseBackupSpec, databaseBackupStatus } from "./database-backup.js";
import { databaseClusterSpec, databaseClusterStatus } from "./database-cluster.js";
import { databaseRestoreSpec, databaseRestoreStatus } from "./database-restore.js";

type JsonSchema = { [key: string]: unknown };

interface KindDefinition {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  spec: z.ZodType;
  status: z.ZodType;
  printerColumns: { name: string; type: string; jsonPath: string; priority?: number; description?: string }[];
  rootValidations?: { rule: string; message: string }[];
}

const age = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };

export const KINDS: KindDefinition[] = [
  {
    kind: "DatabaseCluster",
    plural: "databaseclusters",
    singular: "databasecluster",
    shortNames: ["dbc", "dbcluster"],
    spec: databaseClusterSpec,
    status: databaseClusterStatus,
    printerColumns: [
      { name: "Engine", type: "string", jsonPath: ".spec.engine" },
      { name: "Version", type: "string", jsonPath: ".status.version" },
      { name: "Replicas", type: "integer", jsonPath: ".spec.replicas" },
      { name: "Ready", type: "integer", jsonPath: ".status.readyReplicas" },
      { name: "Phase", type: "string", jsonPath: ".status.phase" },
      { name: "Primary", type: "string", jsonPath: ".status.currentPrimary" },
      age,
    ],
    rootValidations: [
      { rule: `self.metadata.name.size() <= ${MAX_CLUSTER_NAME}`, message: `metadata.name must be at most ${MAX_CLUSTER_NAME} characters (pod and Service names are derived from it)` },
      { rule: "self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')", message: "metadata.name must be a DNS label: lower-case letters, digits and -, starting with a letter" },
    ],
  },
  {
    kind: "DatabaseBackup",
    plural: "databasebackups",
    singular: "databasebackup",
    shortNames: ["dbb", "dbbackup"],
    spec: databaseBackupSpec,
    status: databaseBackupStatus,
    printerColumns: [
      { name: "Cluster", type: "string", jsonPath: ".spec.cluster" },
      { name: "Phase", type: "string", jsonPath: ".status.phase" },
      { name: "Size", type: "integer", jsonPath: ".status.size" },
      { name: "Completed", type: "date", jsonPath: ".status.completedAt" },
      { name: "Location", type: "string", jsonPath: ".status.location", priority: 1 },
      age,
    ],
  },
  {
    kind: "DatabaseRestore",
    plural: "databaserestores",
    singular: "databaserestore",
    shortNames: ["dbr", "dbrestore"],
    spec: databaseRestoreSpec,
    status: databaseRestoreStatus,
    printerColumns: [
      { name: "Backup", type: "string", jsonPath: ".spec.source.backup" },
      { name: "Source", type: "string", jsonPath: ".spec.source.cluster" },
      { name: "PointInTime", type: "string", jsonPath: ".spec.source.pointInTime" },
      { name: "Target", type: "string", jsonPath: ".status.targetCluster" },
      { name: "Phase", type: "string", jsonPath: ".status.phase" },
      age,
    ],
  },
  {
    kind: "BackupStorage",
    plural: "backupstorages",
    singular: "backupstorage",
    shortNames: ["bs"],
    spec: backupStorageSpec,
    status: backupStorageStatus,
    printerColumns: [
      { name: "Bucket", type: "string", jsonPath: ".spec.s3.bucket" },
      { name: "Endpoint", type: "string", jsonPath: ".spec.s3.endpoint" },
      { name: "Phase", type: "string", jsonPath: ".status.phase" },
      age,
    ],
  },
];

const JS_SAFE_INTEGER = Number.MAX_SAFE_INTEGER;

/**
 * Turns zod's JSON Schema into a structural OpenAPI v3 schema as the API server wants it:
 * no $schema, no additionalProperties: false, int-or-string quantities, date-time strings
 * checked by format (not zod's long pattern), and no JavaScript-only integer bounds.
 */
function toStructural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toStructural);
  if (node === null || typeof node !== "object") return node;
  const input = node as JsonSchema;
  if (input["x-kubernetes-int-or-string"]) {
    const out: JsonSchema = { "x-kubernetes-int-or-string": true };
    for (const key of ["description", "x-kubernetes-validations"]) if (input[key] !== undefined) out[key] = input[key];
    return out;
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(input)) {
    if (key === "$schema" || key === "id" || key.startsWith("x-steward-")) continue;
    if (key === "additionalProperties" && value === false) continue;
    if ((key === "maximum" && value === JS_SAFE_INTEGER) || (key === "minimum" && value === -JS_SAFE_INTEGER)) continue;
    if (key === "pattern" && input.format === "date-time") continue;
    if (key === "format" && value === "uri") continue;
    out[key] = toStructural(value);
  }
  if (out.anyOf && !out.type) {
    throw new Error(`anyOf without a type is not structural: ${JSON.stringify(input).slice(0, 200)}`);
  }
  return out;
}

export function openApiSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, { target: "openapi-3.0", io: "input", unrepresentable: "throw" });
  return toStructural(json) as JsonSchema;
}

export function buildCrd(definition: KindDefinition): JsonSchema {
  const root: JsonSchema = {
    type: "object",
    required: ["spec"],
    properties: {
      apiVersion: { type: "string" },
      kind: { type: "string" },
      metadata: { type: "object" },
      spec: openApiSchema(definition.spec),
      status: openApiSchema(definition.status),
    },
  };
  if (definition.rootValidations) root["x-kubernetes-validations"] = definition.rootValidations;
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${definition.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: "Namespaced",
      names: {
        kind: definition.kind,
        listKind: `${definition.kind}List`,
        plural: definition.plural,
        singular: definition.singular,
        shortNames: definition.shortNames,
        categories: ["steward"],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: definition.printerColumns,
          schema: { openAPIV3Schema: root },
        },
      ],
    },
  };
}
