import { describe, expect, it } from "vitest";
import type { BackupStorage } from "../../shared/api/index.js";
import { buildAgentJob, buildAgentRbac, jobName } from "./jobs.js";
import { jobOutcome } from "./job-status.js";
import { AGENT_PROCESS_ENV } from "../agent/image.js";

const storage = {
  apiVersion: "steward.dev/v1alpha1",
  kind: "BackupStorage",
  metadata: { name: "s3", namespace: "shop" },
  // A hand-written stand-in for a PEM CA: the Job builder passes it on, never parses it.
  spec: { s3: { endpoint: "https://s3:7070", region: "us-east-1", bucket: "backups", prefix: "p/", forcePathStyle: true, credentialsSecret: { name: "s3-creds" }, caBundle: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", insecureSkipVerify: false, allowInsecure: false }, encryption: { keySecret: { name: "backup-key", key: "key" } } },
} as BackupStorage;
const owner = { apiVersion: "steward.dev/v1alpha1", kind: "DatabaseBackup", metadata: { name: "b1", namespace: "shop", uid: "u-1" } };

describe("agent Jobs", () => {
  const job = buildAgentJob({ name: "b1-backup", namespace: "shop", owner, labels: { a: "b" }, image: "img", args: ["backup", "--backup", "b1"], env: [{ name: "STEWARD_DB_PASSWORD", valueFrom: { secretKeyRef: { name: "orders-credentials", key: "root" } } }], storage }) as unknown as {
    metadata: { ownerReferences: { uid: string }[] };
    spec: { backoffLimit: number; template: { spec: { restartPolicy: string; serviceAccountName: string; containers: { command: string[]; env: { name: string; value?: string; valueFrom?: unknown }[]; volumeMounts: { mountPath: string }[] }[]; volumes: { name: string }[] } } };
  };
  const container = job.spec.template.spec.containers[0]!;

  it("run once: backoffLimit 0, never restarted, owned by their resource", () => {
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.template.spec.restartPolicy).toBe("Never");
    expect(job.metadata.ownerReferences[0]!.uid).toBe("u-1");
    expect(job.spec.template.spec.serviceAccountName).toBe("steward-agent");
  });

  it("carry secrets only by reference, never as values or arguments", () => {
    const values = [...container.command, ...container.env.map((variable) => variable.value ?? "")].join(" ");
    expect(values).not.toMatch(/secret|password/i);
    expect(container.env.find((variable) => variable.name === "AWS_SECRET_ACCESS_KEY")?.valueFrom).toEqual({ secretKeyRef: { name: "s3-creds", key: "secretAccessKey" } });
    expect(container.env.find((variable) => variable.name === "STEWARD_BACKUP_KEY")?.valueFrom).toEqual({ secretKeyRef: { name: "backup-key", key: "key" } });
    expect(JSON.parse(container.env.find((variable) => variable.name === "STEWARD_STORAGE")!.value!)).toEqual({ endpoint: "https://s3:7070", region: "us-east-1", bucket: "backups", prefix: "p/", forcePathStyle: true, caBundle: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" });
  });

  it("run the agent with the memory settings its RSS budget was measured with", () => {
    for (const setting of AGENT_PROCESS_ENV) expect(container.env).toContainEqual(setting);
    expect(container.env.find((variable) => variable.name === "NODE_OPTIONS")?.value).toMatch(/--max-old-space-size=48/);
    expect(container.env.find((variable) => variable.name === "MALLOC_MMAP_THRESHOLD_")?.value).toBe("131072");
  });

  it("write only to their own volume", () => {
    expect(container.volumeMounts.map((mount) => mount.mountPath)).toEqual(["/var/run/steward"]);
    expect(container.env.find((variable) => variable.name === "TMPDIR")?.value).toBe("/var/run/steward");
  });

  it("have deterministic names within 63 characters", () => {
    expect(jobName("orders-manual-20261125-102030", "backup")).toBe("orders-manual-20261125-102030-backup");
    const long = jobName("a".repeat(60), "restore");
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toBe(jobName("a".repeat(60), "restore"));
  });

  it("read a Job's outcome from its conditions", () => {
    expect(jobOutcome({ apiVersion: "batch/v1", kind: "Job", metadata: { name: "j" } })).toEqual({ state: "running" });
    expect(jobOutcome({ apiVersion: "batch/v1", kind: "Job", metadata: { name: "j" }, status: { conditions: [{ type: "Complete", status: "True" }] } })).toEqual({ state: "succeeded" });
    expect(jobOutcome({ apiVersion: "batch/v1", kind: "Job", metadata: { name: "j" }, status: { conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" }] } })).toEqual({
      state: "failed",
      reason: "BackoffLimitExceeded: Job has reached the specified backoff limit",
    });
  });
});

describe("agent RBAC", () => {
  it("lets agents patch only backup and restore status", () => {
    const role = buildAgentRbac("shop")[1] as unknown as { rules: { resources: string[]; verbs: string[] }[] };
    expect(role.rules.flatMap((rule) => rule.resources)).toEqual(["databasebackups", "databaserestores", "databasebackups/status", "databaserestores/status"]);
    expect(role.rules.flatMap((rule) => rule.verbs)).not.toContain("update");
    expect(JSON.stringify(role)).not.toContain("secrets");
  });
});
