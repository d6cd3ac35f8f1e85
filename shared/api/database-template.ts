import { z } from "zod";
import { API_VERSION, condition, objectMeta, quantity, resourceRequirements } from "./common.js";
import { engineName, mysqlFlavor, parameterValue } from "./database-cluster.js";

/**
 * A DatabaseTemplate: the app catalog's entry from which a DatabaseCluster is made in one step.
 * Cluster-scoped like a StorageClass. The `cluster` part and each size's fields are checked by the
 * CRD with the DatabaseCluster spec's own sub-schemas (crd.ts puts them in), so a template that
 * would give an invalid cluster is refused when it is written, with the path named.
 */

export const PARAMETER_TYPES = ["string", "integer", "quantity", "boolean"] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number];

/** CLI flags `steward create` owns: a parameter may not take one of these names. */
export const RESERVED_PARAMETER_NAMES = ["size", "set", "template", "namespace", "output", "dry-run", "wait", "help", "yes", "timeout", "kubeconfig"] as const;

const quoted = (values: readonly string[]) => `[${values.map((value) => `'${value}'`).join(", ")}]`;

export const templateParameter = z
  .object({
    name: z.string().max(31).regex(/^[a-z][a-z0-9-]{0,30}$/).describe("Name of the parameter: the key in spec.template.parameters and the CLI flag --NAME"),
    path: z.string().min(1).max(128).describe("DatabaseCluster spec path the value is written to, e.g. storage.size"),
    title: z.string().min(1).max(128).describe("Form label and CLI help text"),
    description: z.string().max(1024).optional(),
    type: z.enum(PARAMETER_TYPES).describe("string | integer | quantity | boolean (a boolean is written \"true\" or \"false\")"),
    default: parameterValue.optional(),
    enum: z.array(parameterValue).max(20).optional().describe("Allowed values"),
    minimum: parameterValue.optional().describe("Smallest value (integer or quantity)"),
    maximum: parameterValue.optional().describe("Largest value (integer or quantity)"),
    pattern: z.string().max(512).optional().describe("Regular expression a string value must match (RE2)"),
    format: z.enum(["cron"]).optional().describe("cron: a five-field cron expression"),
  })
  .meta({
    "x-kubernetes-validations": [
      { rule: `!(self.name in ${quoted(RESERVED_PARAMETER_NAMES)})`, message: `name may not be one of the CLI's own flags: ${RESERVED_PARAMETER_NAMES.join(", ")}`, fieldPath: ".name" },
      { rule: "!has(self.pattern) || self.type == 'string'", message: "pattern is only for type string", fieldPath: ".pattern" },
      { rule: "!has(self.format) || self.type == 'string'", message: "format is only for type string", fieldPath: ".format" },
      { rule: "!has(self.minimum) || self.type == 'integer' || self.type == 'quantity'", message: "minimum is only for type integer or quantity", fieldPath: ".minimum" },
      { rule: "!has(self.maximum) || self.type == 'integer' || self.type == 'quantity'", message: "maximum is only for type integer or quantity", fieldPath: ".maximum" },
      { rule: "self.type != 'integer' || ((!has(self.default) || type(self.default) == int) && (!has(self.minimum) || type(self.minimum) == int) && (!has(self.maximum) || type(self.maximum) == int) && (!has(self.enum) || self.enum.all(v, type(v) == int)))", message: "an integer parameter's default, minimum, maximum and enum must be integers", fieldPath: ".type" },
      { rule: "self.type != 'boolean' || !has(self.default) || string(self.default) in ['true', 'false']", message: "a boolean parameter's default is \"true\" or \"false\"", fieldPath: ".default" },
      { rule: "!has(self.enum) || !has(self.default) || self.default in self.enum", message: "default must be one of enum", fieldPath: ".default" },
      { rule: "self.type != 'integer' || !has(self.default) || !has(self.minimum) || type(self.default) != int || type(self.minimum) != int || int(self.default) >= int(self.minimum)", message: "default is below minimum", fieldPath: ".default" },
    ],
  });
export type TemplateParameter = z.infer<typeof templateParameter>;

export const templateSize = z.object({
  name: z.string().max(31).regex(/^[a-z][a-z0-9-]{0,30}$/).describe("Size name, e.g. small"),
  title: z.string().max(128).optional(),
  replicas: z.int().min(1).max(15).optional(),
  resources: resourceRequirements.optional(),
  storage: z.object({ size: quantity, storageClassName: z.string().max(253).optional() }).optional(),
});
export type TemplateSize = z.infer<typeof templateSize>;

const labelSelector = z.object({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(z.object({ key: z.string().min(1), operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]), values: z.array(z.string()).optional() }))
    .optional(),
});
export type LabelSelector = z.infer<typeof labelSelector>;

export const databaseTemplateSpec = z
  .object({
    title: z.string().min(1).max(128),
    description: z.string().max(2048).optional(),
    engine: engineName,
    flavor: mysqlFlavor.optional(),
    categories: z.array(z.string().max(64)).max(10).optional(),
    caveat: z.string().max(1024).optional().describe("Shown beside the template wherever it is listed, e.g. that it is not verified end to end"),
    visibility: z.object({ namespaceSelector: labelSelector }).optional().describe("Namespaces that may use the template; omitted: every namespace"),
    // list-type map: the API server itself refuses two entries with one name.
    sizes: z.array(templateSize).min(1).max(10).meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] }),
    defaultSize: z.string().optional(),
    // crd.ts replaces this with the DatabaseCluster spec's sub-schemas (without defaults).
    cluster: z.record(z.string(), z.unknown()).optional().describe("A partial DatabaseCluster spec: what the template sets"),
    parameters: z.array(templateParameter).max(20).optional().meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] }),
    locked: z.array(z.string().max(128)).max(30).optional().describe("Spec paths a cluster made from the template may not set differently"),
  })
  .meta({
    "x-kubernetes-validations": [
      { rule: "!has(self.flavor) || self.engine == 'mysql'", message: "flavor is only for engine mysql", fieldPath: ".flavor" },
      { rule: "!has(self.defaultSize) || self.sizes.exists(s, s.name == self.defaultSize)", message: "defaultSize must name one of sizes", fieldPath: ".defaultSize" },
      {
        rule: "!has(self.parameters) || !has(self.locked) || self.parameters.all(p, self.locked.all(l, p.path != l && !p.path.startsWith(l + '.') && !l.startsWith(p.path + '.')))",
        message: "a parameter may not set a locked path",
        fieldPath: ".parameters",
      },
      { rule: "self.engine != 'mongodb' || self.sizes.all(s, !has(s.replicas) || s.replicas % 2 == 1)", message: "mongodb needs an odd number of replicas in every size", fieldPath: ".sizes" },
      {
        rule: "self.engine == 'mysql' || self.engine == 'mongodb' || !has(self.cluster) || !has(self.cluster.backup) || !has(self.cluster.backup.pointInTime) || !has(self.cluster.backup.pointInTime.enabled) || !self.cluster.backup.pointInTime.enabled",
        message: "pointInTime is available for mysql and mongodb only",
        fieldPath: ".cluster.backup.pointInTime",
      },
      { rule: "!has(self.cluster) || !has(self.cluster.database) || self.engine == 'mysql' || self.engine == 'mongodb'", message: "database is only for engine mysql or mongodb", fieldPath: ".cluster.database" },
    ],
  });
export type DatabaseTemplateSpec = z.infer<typeof databaseTemplateSpec>;

export const databaseTemplateStatus = z.object({
  observedGeneration: z.int().optional(),
  conditions: z.array(condition).optional(),
});

export const databaseTemplate = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("DatabaseTemplate"),
  metadata: objectMeta,
  spec: databaseTemplateSpec,
  status: databaseTemplateStatus.optional(),
});
export type DatabaseTemplate = z.infer<typeof databaseTemplate>;

/** Annotations a cluster made from a template carries, written with its resolved spec in one update. */
export const TEMPLATE_ANNOTATIONS = {
  /** The template's metadata.generation the spec was resolved from; present once resolved. */
  generation: "steward.dev/template-generation",
  /** JSON of the leaf values the template (defaults, size, parameters) gave: the base for drift. */
  values: "steward.dev/template-values",
} as const;
