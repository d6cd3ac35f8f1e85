import { z } from "zod";
import {
  API_VERSION,
  MAX_CLUSTER_NAME,
  condition,
  durationString,
  objectMeta,
  objectName,
  quantity,
  resourceRequirements,
} from "./common.js";
import { configKeyRules } from "./config-policy.js";
import { CRON_MESSAGE, CRON_PATTERN, CRON_REGEX } from "./cron.js";

export const ENGINES = ["mysql", "mongodb", "redis", "rabbitmq"] as const;
export const engineName = z.enum(ENGINES);
export type EngineName = z.infer<typeof engineName>;

export const MYSQL_FLAVORS = ["mysql", "mariadb"] as const;
export const mysqlFlavor = z.enum(MYSQL_FLAVORS);
export type MysqlFlavor = z.infer<typeof mysqlFlavor>;

/** Where a new cluster's data comes from: a backup, or a cluster's archive up to a point in time. */
export const restoreSource = z
  .object({
    backup: objectName().optional().describe("Name of a Completed DatabaseBackup in this namespace"),
    cluster: objectName(MAX_CLUSTER_NAME).optional().describe("Cluster whose backups and archived logs to restore from (with pointInTime)"),
    pointInTime: z.iso.datetime({ offset: true }).optional().describe("RFC 3339 time to recover to; needs cluster and pointInTime.enabled on it"),
  })
  .meta({
    "x-kubernetes-validations": [
      { rule: "has(self.backup) != has(self.cluster)", message: "set exactly one of backup or cluster" },
      { rule: "!has(self.pointInTime) || has(self.cluster)", message: "pointInTime needs cluster (the cluster whose archive to replay)", fieldPath: ".pointInTime" },
      { rule: "!has(self.cluster) || has(self.pointInTime)", message: "cluster needs pointInTime (use backup to restore a backup as it is)", fieldPath: ".cluster" },
    ],
  });
export type RestoreSource = z.infer<typeof restoreSource>;

export const backupPolicy = z.object({
  storage: objectName().describe("Name of a BackupStorage in this namespace"),
  schedule: z
    .string()
    .max(128)
    .refine((text) => CRON_REGEX.test(text), CRON_MESSAGE)
    .meta({ "x-kubernetes-validations": [{ rule: `self.matches('${CRON_PATTERN.replace(/\\/g, "\\\\")}')`, message: CRON_MESSAGE }] })
    .optional()
    .describe("Cron schedule for automatic backups, e.g. \"0 3 * * *\""),
  incrementalSchedule: z
    .string()
    .max(128)
    .refine((text) => CRON_REGEX.test(text), CRON_MESSAGE)
    .meta({ "x-kubernetes-validations": [{ rule: `self.matches('${CRON_PATTERN.replace(/\\/g, "\\\\")}')`, message: CRON_MESSAGE }] })
    .optional()
    .describe("method physical: cron schedule for incremental copies between the full ones of schedule, e.g. full \"0 3 * * 0\", incremental \"0 3 * * 1-6\""),
  method: z.enum(["logical", "physical"]).optional().describe("Method of scheduled backups; default logical. physical: a file-level copy (MySQL/MariaDB), restores at file-copy speed"),
  timeZone: z.string().min(1).max(64).optional().describe("IANA time zone the schedule is read in; default UTC"),
  retention: z
    .object({
      keepLast: z.int().min(1).max(1000).optional().describe("Keep at most this many Completed backups"),
      maxAge: durationString.optional().describe("Remove backups older than this, e.g. 30d (the newest Completed backup is always kept)"),
    })
    .optional(),
  compression: z.enum(["zstd", "gzip", "none"]).default("zstd"),
  pointInTime: z
    .object({ enabled: z.boolean().default(false) })
    .optional()
    .describe("Archive the write-ahead log (MySQL binlogs) continuously for point-in-time restores"),
  verify: z.boolean().default(false).describe("Restore each Completed backup into a throwaway instance and record the result"),
});
export type BackupPolicy = z.infer<typeof backupPolicy>;

export const failoverPolicy = z.object({
  delaySeconds: z.int().min(0).max(3600).default(5).describe("How long the primary must be unhealthy before a failover"),
  dataLoss: z
    .enum(["none", "allowed"])
    .default("none")
    .describe("none: only acknowledged-complete replicas are promoted (semi-sync for MySQL, WAIT for Redis); allowed: promote the most advanced replica even if it may miss writes"),
  nodeLoss: z
    .enum(["wait", "recreate"])
    .optional()
    .describe(
      "A pod on a lost node (NotReady/unreachable). wait (default): leave it until the node returns (a partitioned node still runs it); recreate: force-delete it so the StatefulSet recreates it on a live node, only when its volume is network storage (a PV without node affinity). A node tainted node.kubernetes.io/out-of-service is always recreated from. Never the primary's pod: a replica on a live node is promoted first",
    ),
});
export type FailoverPolicy = z.infer<typeof failoverPolicy>;

export const storageSpec = z
  .object({
    size: quantity.describe("Volume size per instance, e.g. 10Gi; may grow, never shrink"),
    storageClassName: z.string().max(253).optional(),
  })
  .meta({
    "x-kubernetes-validations": [
      { rule: "isQuantity(string(self.size))", message: "size must be a quantity such as 10Gi", fieldPath: ".size" },
      {
        rule: "!isQuantity(string(self.size)) || !isQuantity(string(oldSelf.size)) || quantity(string(self.size)).compareTo(quantity(string(oldSelf.size))) >= 0",
        message: "size may grow but never shrink",
        fieldPath: ".size",
      },
      { rule: "!has(oldSelf.storageClassName) || (has(self.storageClassName) && self.storageClassName == oldSelf.storageClassName)", message: "storageClassName is immutable", fieldPath: ".storageClassName" },
    ],
  });

/**
 * Encryption in transit. Without an issuer the operator runs its own CA per namespace and issues
 * each cluster a server certificate (operators/cluster/tls.ts); with `secretName` the user's
 * Secret is either a CA the operator signs with (`ca.crt` + `ca.key`) or a finished server
 * certificate (`tls.crt` + `tls.key` + `ca.crt`); with `certManager` a cert-manager Certificate
 * writes the cluster's TLS Secret.
 */
export const tlsSpec = z
  .object({
    enabled: z.boolean().default(true).describe("Serve TLS to clients and replicate over TLS; default true"),
    required: z.boolean().default(false).describe("Refuse plaintext clients (needs enabled); default false so existing applications keep working"),
    issuer: z
      .object({
        secretName: z.string().min(1).max(253).optional().describe("Secret with ca.crt and ca.key (a CA the operator signs with) or tls.crt, tls.key and ca.crt (a server certificate used as it is)"),
        certManager: z
          .object({
            issuerRef: z.object({
              name: z.string().min(1).max(253),
              kind: z.enum(["Issuer", "ClusterIssuer"]).default("Issuer"),
              group: z.string().max(253).default("cert-manager.io"),
            }),
          })
          .optional()
          .describe("Let cert-manager issue the server certificate (cert-manager must be installed)"),
      })
      .optional()
      .describe("Where the server certificate comes from; default an operator-run CA per namespace")
      .meta({ "x-kubernetes-validations": [{ rule: "has(self.secretName) != has(self.certManager)", message: "set exactly one of secretName or certManager" }] }),
  })
  // has(): in a template's copy of this schema nothing is defaulted.
  .meta({ "x-kubernetes-validations": [{ rule: "!has(self.required) || !self.required || !has(self.enabled) || self.enabled", fieldPath: ".required", message: "required: true needs enabled: true (plaintext cannot be refused without TLS)" }] });
export type TlsSpec = z.infer<typeof tlsSpec>;

const CONFIG_KEY = "^[A-Za-z0-9_.-]{1,128}$";

/**
 * Engine settings, one line each in the engine's config file. A value with a line break could
 * add any setting (or a section) behind the key checks, so values are one line; keys are plain
 * names. Which keys each engine refuses: config-policy.ts, as spec-level rules (they need the engine).
 */
export const engineConfig = z
  .record(
    z.string().regex(new RegExp(CONFIG_KEY)),
    // eslint-disable-next-line no-control-regex -- a NUL byte is exactly what this refuses
    z.string().max(4096).regex(/^[^\r\n\x00]*$/, "a config value must be one line"),
  )
  .meta({
    maxProperties: 128,
    "x-kubernetes-validations": [
      {
        rule: `self.all(k, k.matches('${CONFIG_KEY}'))`,
        messageExpression: `'spec.config.' + self.filter(k, !k.matches('${CONFIG_KEY}'))[0] + ' is not a setting name: use letters, digits, _, . and - (at most 128)'`,
      },
    ],
  })
  .describe("Engine configuration parameters (my.cnf, redis.conf, rabbitmq.conf keys), one line each");

/** A parameter's value as written in a cluster's spec.template.parameters or a template default. */
export const parameterValue = z.union([z.string(), z.number()]).meta({ "x-kubernetes-int-or-string": true });
export type ParameterValue = z.infer<typeof parameterValue>;

/** What a DatabaseCluster writes in spec.template (the app catalog). Immutable once the cluster exists. */
export const templateReference = z.object({
  name: z.string().min(1).max(253).describe("Name of a DatabaseTemplate visible in this namespace"),
  size: z.string().max(63).optional().describe("One of the template's sizes; default its defaultSize, else its first"),
  parameters: z.record(z.string(), parameterValue).optional().describe("Values for the template's parameters, by name"),
});
export type TemplateReference = z.infer<typeof templateReference>;

const engineField = engineName
  .describe("mysql | mongodb | redis | rabbitmq; immutable; filled in from spec.template when that is set")
  .meta({ "x-kubernetes-validations": [{ rule: "self == oldSelf", message: "engine is immutable" }] });

const clusterSpecShape = {
    engine: engineField,
    flavor: mysqlFlavor.optional().describe("For engine mysql only: mysql (8.4) or mariadb; default mysql; immutable"),
    version: z
      .string()
      .regex(/^[0-9]+\.[0-9]+(\.[0-9]+)?$/, "version must look like 10.11 or 8.4.3")
      .optional()
      .describe("Engine version; default per engine (mysql 8.4, mariadb 10.11, redis 7.0, rabbitmq 3.13, mongodb 7.0)"),
    replicas: z.int().min(1).max(15).default(3).describe("Number of instances: primary plus replicas, or cluster members"),
    storage: storageSpec.default({ size: "1Gi" }),
    resources: resourceRequirements.optional(),
    config: engineConfig.optional(),
    database: z.string().regex(/^[A-Za-z0-9_]{1,64}$/).optional().describe("Database to create (MySQL), or the application database (MongoDB); default the cluster name with - replaced by _"),
    username: z.string().regex(/^[A-Za-z0-9_]{1,32}$/).optional().describe("Application user in the connection Secret; default app"),
    failover: failoverPolicy.default({ delaySeconds: 5, dataLoss: "none" }),
    tls: tlsSpec.default({ enabled: true, required: false }),
    backup: backupPolicy.optional(),
    bootstrap: z
      .object({ source: restoreSource })
      .optional()
      .describe("Create the cluster's data from a backup or a point in time; immutable")
      .meta({ "x-kubernetes-validations": [{ rule: "self == oldSelf", message: "bootstrap is immutable" }] }),
    paused: z.boolean().default(false).describe("Stop reconciling this cluster (also the steward.dev/paused annotation)"),
    allowScaleDown: z.boolean().default(false).describe("Allow replicas to decrease where that removes members holding data (RabbitMQ)"),
    deletionPolicy: z
      .enum(["RetainData", "DeleteData"])
      .default("RetainData")
      .describe("RetainData keeps the volumes when the cluster is deleted; DeleteData removes them"),
    template: templateReference
      .optional()
      .describe("Make the cluster from a DatabaseTemplate (the app catalog): resolved into this spec once, when the cluster is created; immutable"),
};

/**
 * The spec as reconcilers read it: the engine is always there (a cluster made from a template
 * is resolved before any reconciler but the template step sees it).
 */
export const databaseClusterSpec = z.object(clusterSpecShape);
export type DatabaseClusterSpec = z.infer<typeof databaseClusterSpec>;

/**
 * The spec as the API server admits it: the engine may be left to spec.template. Rules that
 * read the engine hold once it is there; locked paths and parameters of a template are checked
 * by the ValidatingAdmissionPolicies the operator derives from each template (catalog/policy.ts).
 */
export const databaseClusterResourceSpec = z
  .object({ ...clusterSpecShape, engine: engineField.optional() })
  .meta({
    "x-kubernetes-validations": [
      { rule: "has(self.engine) || has(self.template)", message: "Required value: set engine, or template to make the cluster from a catalog template", fieldPath: ".engine" },
      {
        rule: "has(self.template) == has(oldSelf.template) && (!has(self.template) || self.template == oldSelf.template)",
        message: "template is immutable: it records what the cluster was made from (steward catalog upgrade re-applies a changed template)",
        fieldPath: ".template",
      },
      { rule: "!has(self.flavor) || !has(self.engine) || self.engine == 'mysql'", message: "flavor is only for engine mysql", fieldPath: ".flavor" },
      {
        // Before a template is resolved the cluster has no engine yet: the flavor arrives with it.
        rule: "!has(oldSelf.engine) || (has(self.flavor) ? self.flavor : 'mysql') == (has(oldSelf.flavor) ? oldSelf.flavor : 'mysql')",
        message: "flavor is immutable",
        fieldPath: ".flavor",
      },
      { rule: "!has(self.engine) || self.engine != 'mongodb' || self.replicas % 2 == 1", message: "mongodb needs an odd number of replicas (1, 3, 5, ...)", fieldPath: ".replicas" },
      {
        rule: "!has(self.engine) || self.engine != 'rabbitmq' || self.replicas >= oldSelf.replicas || self.allowScaleDown",
        message: "scaling a rabbitmq cluster down removes nodes; set allowScaleDown: true to confirm",
        fieldPath: ".replicas",
      },
      { rule: "!has(self.database) || !has(self.engine) || self.engine == 'mysql' || self.engine == 'mongodb'", message: "database is only for engine mysql or mongodb", fieldPath: ".database" },
      {
        rule: "!has(self.backup) || !has(self.backup.pointInTime) || !self.backup.pointInTime.enabled || !has(self.engine) || self.engine == 'mysql' || self.engine == 'mongodb'",
        message: "pointInTime is available for mysql and mongodb only",
        fieldPath: ".backup.pointInTime",
      },
      {
        rule: "!has(self.backup) || !has(self.backup.method) || self.backup.method == 'logical' || !has(self.engine) || self.engine == 'mysql'",
        message: "method physical is available for mysql only",
        fieldPath: ".backup.method",
      },
      {
        rule: "!has(self.backup) || !has(self.backup.incrementalSchedule) || (has(self.backup.method) && self.backup.method == 'physical')",
        message: "incrementalSchedule needs method: physical (incremental copies build on physical ones)",
        fieldPath: ".backup.incrementalSchedule",
      },
      ...configKeyRules(),
    ],
  });

export const CLUSTER_PHASES = ["Pending", "Provisioning", "Ready", "Degraded", "Failed", "Restoring", "Deleting"] as const;
export type ClusterPhase = (typeof CLUSTER_PHASES)[number];

export const instanceStatus = z.object({
  name: z.string(),
  role: z.enum(["primary", "replica", "member", "unknown"]),
  ready: z.boolean(),
  readOnly: z.boolean().optional(),
  position: z.string().optional().describe("Replication position: GTID set (MySQL), offset (Redis)"),
  lagSeconds: z.number().optional(),
  replication: z.string().optional().describe("Replication state in a few words, e.g. Running, Connecting, Stopped"),
  message: z.string().optional(),
});
export type InstanceStatus = z.infer<typeof instanceStatus>;

export const databaseClusterStatus = z.object({
  phase: z.enum(CLUSTER_PHASES).optional(),
  observedGeneration: z.int().optional(),
  currentPrimary: z.string().optional(),
  targetPrimary: z.string().optional(),
  readyReplicas: z.int().optional(),
  replicas: z.int().optional(),
  version: z.string().optional(),
  endpoints: z.object({ primary: z.string().optional(), readOnly: z.string().optional() }).optional(),
  connectionSecret: z.string().optional(),
  instances: z.array(instanceStatus).optional(),
  conditions: z.array(condition).optional(),
  lastBackup: z.object({ name: z.string(), phase: z.string(), completedAt: z.string().optional() }).optional(),
  nextBackup: z.string().optional(),
  pointInTime: z
    .object({
      earliest: z.string().optional(),
      latest: z.string().optional(),
      gaps: z
        .array(z.object({ from: z.string(), to: z.string(), reason: z.string() }))
        .optional()
        .describe("Spans inside the window that cannot be recovered to: log segments that never reached the archive (backup/README.md)"),
    })
    .optional(),
  lastFailover: z
    .object({
      from: z.string(),
      to: z.string(),
      at: z.string(),
      reason: z.string(),
      durationSeconds: z.number().optional().describe("From the primary first seen unhealthy to the new primary recorded"),
    })
    .optional(),
  lastSwitchover: z
    .object({
      request: z.string(),
      from: z.string().optional().describe("The primary when the request was taken up"),
      inProgress: z.boolean().optional().describe("Taken up, result not yet recorded: an operator that restarts then records it rather than switching over twice"),
      to: z.string().optional(),
      at: z.string(),
      result: z.string(),
      durationSeconds: z.number().optional().describe("From the request taken up to the result recorded"),
    })
    .optional(),
  bootstrapped: z.boolean().optional(),
  tls: z
    .object({
      secretName: z.string().describe("Secret with the server certificate (tls.crt, tls.key, ca.crt)"),
      issuer: z.string().describe("operator-ca, secret/<name> or cert-manager/<issuer>"),
      notAfter: z.string().optional().describe("When the server certificate expires (RFC 3339)"),
      renewAt: z.string().optional().describe("When the operator renews it (two thirds into its lifetime)"),
    })
    .optional(),
  template: z
    .object({ name: z.string(), generation: z.int(), size: z.string().optional() })
    .optional()
    .describe("The DatabaseTemplate and its generation the spec was resolved from"),
});
export type DatabaseClusterStatus = z.infer<typeof databaseClusterStatus>;

export const databaseCluster = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("DatabaseCluster"),
  metadata: objectMeta,
  spec: databaseClusterSpec,
  status: databaseClusterStatus.optional(),
});
export type DatabaseCluster = z.infer<typeof databaseCluster>;

export const DEFAULT_VERSIONS: Record<string, string> = {
  mysql: "8.4",
  mariadb: "10.11",
  mongodb: "7.0",
  redis: "7.0",
  rabbitmq: "3.13",
};

/** The spec with every default filled in: what reconcilers read, so no reconciler re-derives a default. */
export interface EffectiveSpec extends DatabaseClusterSpec {
  flavor?: MysqlFlavor;
  version: string;
  database?: string;
  username: string;
}

export function effectiveSpec(cluster: DatabaseCluster): EffectiveSpec {
  const spec = databaseClusterSpec.parse(cluster.spec);
  const flavor = spec.engine === "mysql" ? (spec.flavor ?? "mysql") : undefined;
  const versionKey = flavor ?? spec.engine;
  return {
    ...spec,
    flavor,
    version: spec.version ?? DEFAULT_VERSIONS[versionKey]!,
    // A restored copy keeps its source's database name, so the copy's application user gets the restored data.
    database: spec.engine === "mysql" || spec.engine === "mongodb" ? (spec.database ?? cluster.metadata.name.replace(/-/g, "_")) : undefined,
    username: spec.username ?? "app",
  };
}
