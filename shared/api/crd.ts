import { z } from "zod";
import { GROUP, MAX_CLUSTER_NAME, VERSION } from "./common.js";
import { backupStorageSpec, backupStorageStatus } from "./backup-storage.js";
import { databaseBackupSpec, databaseBackupStatus } from "./database-backup.js";
import { databaseClusterResourceSpec, databaseClusterSpec, databaseClusterStatus } from "./database-cluster.js";
import { databaseTemplateSpec, databaseTemplateStatus } from "./database-template.js";
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
  /** Default Namespaced. */
  scope?: "Namespaced" | "Cluster";
  /** Rewrites the generated spec schema (the template reuses the cluster spec's sub-schemas). */
  patchSpec?: (spec: JsonSchema) => JsonSchema;
}

const age = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };

export const KINDS: KindDefinition[] = [
  {
    kind: "DatabaseCluster",
    plural: "databaseclusters",
    singular: "databasecluster",
    shortNames: ["dbc", "dbcluster"],
    spec: databaseClusterResourceSpec,
    status: databaseClusterStatus,
    printerColumns: [
      { name: "Engine", type: "string", jsonPath: ".spec.engine" },
      { name: "Version", type: "string", jsonPath: ".status.version" },
      { name: "Replicas", type: "integer", jsonPath: ".spec.replicas" },
      { name: "Ready", type: "integer", jsonPath: ".status.readyReplicas" },
      { name: "Phase", type: "string", jsonPath: ".status.phase" },
      { name: "Primary", type: "string", jsonPath: ".status.currentPrimary" },
      { name: "Template", type: "string", jsonPath: ".spec.template.name", priority: 1 },
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
    kind: "DatabaseTemplate",
    plural: "databasetemplates",
    singular: "databasetemplate",
    shortNames: ["dbt", "dbtemplate"],
    scope: "Cluster",
    spec: databaseTemplateSpec,
    status: databaseTemplateStatus,
    printerColumns: [
      { name: "Title", type: "string", jsonPath: ".spec.title" },
      { name: "Engine", type: "string", jsonPath: ".spec.engine" },
      { name: "Flavor", type: "string", jsonPath: ".spec.flavor" },
      { name: "Default-Size", type: "string", jsonPath: ".spec.defaultSize" },
      age,
    ],
    patchSpec: (spec) => templateSpecSchema(spec),
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
      spec: definition.patchSpec ? definition.patchSpec(openApiSchema(definition.spec)) : openApiSchema(definition.spec),
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
      scope: definition.scope ?? "Namespaced",
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

/** Fields of the cluster spec a template may not set in its `cluster` part (they have their own place, or are per cluster). */
const NOT_IN_TEMPLATE = ["engine", "flavor", "template", "bootstrap", "paused"];

/**
 * The cluster spec's schema as a template's part of it: every field optional, no defaults (the
 * API server would otherwise fill the template with them), no rules comparing with oldSelf (a
 * template may be edited freely) and none at the top that read the engine (the template's own
 * rules say those).
 */
function partialClusterSchema(node: unknown, top: boolean): unknown {
  if (Array.isArray(node)) return node.map((item) => partialClusterSchema(item, false));
  if (node === null || typeof node !== "object") return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node as JsonSchema)) {
    // The keywords only: a property may be named "required" too (spec.tls.required).
    if (key === "default" || (key === "required" && Array.isArray(value))) continue;
    if (key === "x-kubernetes-validations") {
      const kept = (value as { rule: string }[]).filter((rule) => !top && !rule.rule.includes("oldSelf"));
      if (kept.length) out[key] = kept;
      continue;
    }
    if (key === "properties" && top) {
      const properties: JsonSchema = {};
      for (const [name, property] of Object.entries(value as JsonSchema)) {
        if (!NOT_IN_TEMPLATE.includes(name)) properties[name] = partialClusterSchema(property, false);
      }
      out[key] = properties;
      continue;
    }
    out[key] = partialClusterSchema(value, key === "properties" ? false : false);
  }
  return out;
}

export type SpecPathType = "string" | "integer" | "quantity" | "boolean" | "object" | "array" | "number";

/**
 * Every path of the DatabaseCluster spec a template may set or lock, with its type, e.g.
 * backup.schedule: string, storage.size: quantity. Generated from the schema, so a parameter
 * path is checked against the real spec (a CEL list in the template CRD).
 */
export function clusterSpecPaths(): Map<string, SpecPathType> {
  const paths = new Map<string, SpecPathType>();
  const walk = (node: JsonSchema, prefix: string) => {
    const properties = (node.properties ?? {}) as Record<string, JsonSchema>;
    for (const [name, property] of Object.entries(properties)) {
      if (!prefix && NOT_IN_TEMPLATE.includes(name)) continue;
      const path = prefix ? `${prefix}.${name}` : name;
      const type: SpecPathType = property["x-kubernetes-int-or-string"] ? "quantity" : ((property.type as SpecPathType | undefined) ?? "object");
      paths.set(path, type);
      if (type === "object") walk(property, path);
    }
  };
  walk(openApiSchema(databaseClusterSpec), "");
  return paths;
}

/** A copy of `schema` with no CEL rules at any depth. */
function withoutRules(schema: JsonSchema): JsonSchema {
  const copy: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "x-kubernetes-validations") continue;
    copy[key] = value && typeof value === "object" && !Array.isArray(value) ? withoutRules(value as JsonSchema) : value;
  }
  return copy;
}

function templateSpecSchema(spec: JsonSchema): JsonSchema {
  const cluster = partialClusterSchema(openApiSchema(databaseClusterSpec), true) as JsonSchema;
  const clusterProperties = cluster.properties as JsonSchema;
  const properties = spec.properties as Record<string, JsonSchema>;
  properties.cluster = { ...cluster, description: properties.cluster?.description };
  const sizes = properties.sizes as { items: { properties: JsonSchema } };
  for (const field of ["replicas", "resources", "storage"]) sizes.items.properties[field] = clusterProperties[field];
  // Without the quantity rules of spec.resources: the API server costs a rule on an int-or-string
  // as a string of the largest request, and ten sizes of them exceed a CRD's budget (it refused
  // the CRD). A size's resources are checked where they land: the DatabaseCluster made from it is
  // refused with the field named, and the template controller renders every size.
  sizes.items.properties.resources = withoutRules(clusterProperties.resources as JsonSchema);
  const paths = clusterSpecPaths();
  const list = (types: SpecPathType[]) => `[${[...paths].filter(([, type]) => types.includes(type)).map(([path]) => `'${path}'`).join(", ")}]`;
  const parameter = (properties.parameters as { items: JsonSchema }).items;
  parameter["x-kubernetes-validations"] = [
    ...((parameter["x-kubernetes-validations"] as unknown[] | undefined) ?? []),
    { rule: `self.path in ${list(["string", "integer", "quantity", "boolean", "number"])}`, message: "path must be a field of the DatabaseCluster spec such as storage.size or backup.schedule", fieldPath: ".path" },
    { rule: `self.type != 'integer' || self.path in ${list(["integer"])}`, message: "an integer parameter needs an integer field", fieldPath: ".path" },
    { rule: `self.type != 'quantity' || self.path in ${list(["quantity"])}`, message: "a quantity parameter needs a quantity field such as storage.size", fieldPath: ".path" },
    { rule: `self.type != 'boolean' || self.path in ${list(["boolean"])}`, message: "a boolean parameter needs a boolean field", fieldPath: ".path" },
    { rule: `self.type != 'string' || self.path in ${list(["string"])}`, message: "a string parameter needs a string field", fieldPath: ".path" },
  ];
  const locked = properties.locked as { items: JsonSchema };
  locked.items["x-kubernetes-validations"] = [{ rule: `self in ${list(["string", "integer", "quantity", "boolean", "number", "object", "array"])}`, message: "a locked path must be a field of the DatabaseCluster spec such as backup.storage" }];
  return spec;
}
