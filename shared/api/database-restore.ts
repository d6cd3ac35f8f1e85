import { z } from "zod";
import { API_VERSION, MAX_CLUSTER_NAME, condition, objectMeta } from "./common.js";
import { restoreSource } from "./database-cluster.js";

export const RESTORE_PHASES = ["Pending", "Running", "Verifying", "Completed", "Failed"] as const;
export type RestorePhase = (typeof RESTORE_PHASES)[number];

export const restoreTarget = z
  .object({
    newCluster: z.string().regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/).max(MAX_CLUSTER_NAME).optional().describe("Name of the cluster to create from the source; default the restore's name"),
    inPlace: z.boolean().optional().describe("Overwrite the source cluster's data; needs confirmOverwrite"),
    confirmOverwrite: z.boolean().optional().describe("Set to true to confirm that an in-place restore replaces the cluster's current data"),
  })
  .meta({
    "x-kubernetes-validations": [
      { rule: "!(has(self.newCluster) && has(self.inPlace) && self.inPlace)", message: "set newCluster or inPlace, not both" },
      {
        rule: "!has(self.inPlace) || !self.inPlace || (has(self.confirmOverwrite) && self.confirmOverwrite)",
        message: "an in-place restore overwrites the cluster's data: set confirmOverwrite: true to confirm",
        fieldPath: ".confirmOverwrite",
      },
    ],
  });
export type RestoreTarget = z.infer<typeof restoreTarget>;

export const databaseRestoreSpec = z
  .object({
    source: restoreSource,
    target: restoreTarget.default({}),
  })
  .meta({ "x-kubernetes-validations": [{ rule: "self == oldSelf", message: "a restore's spec is immutable; create a new DatabaseRestore" }] });
export type DatabaseRestoreSpec = z.infer<typeof databaseRestoreSpec>;

export const tableChecksum = z.object({ table: z.string(), checksum: z.string() });

export const databaseRestoreStatus = z.object({
  phase: z.enum(RESTORE_PHASES).optional(),
  observedGeneration: z.int().optional(),
  startedAt: z.string().optional(),
  completedAt: z.string().optional(),
  targetCluster: z.string().optional(),
  backup: z.string().optional().describe("The base backup restored"),
  pointInTime: z.string().optional(),
  progress: z.object({ bytes: z.int(), totalBytes: z.int().optional(), updatedAt: z.string() }).optional(),
  job: z.string().optional(),
  error: z.object({ step: z.string(), message: z.string() }).optional(),
  verification: z.object({ tables: z.array(tableChecksum), checkedAt: z.string() }).optional(),
  conditions: z.array(condition).optional(),
});
export type DatabaseRestoreStatus = z.infer<typeof databaseRestoreStatus>;

export const databaseRestore = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("DatabaseRestore"),
  metadata: objectMeta,
  spec: databaseRestoreSpec,
  status: databaseRestoreStatus.optional(),
});
export type DatabaseRestore = z.infer<typeof databaseRestore>;
