import { describe, expect, it } from "vitest";
import { backupStorage } from "./backup-storage.js";
import { parseDuration } from "./common.js";
import { databaseBackup } from "./database-backup.js";
import { databaseCluster, effectiveSpec } from "./database-cluster.js";
import { databaseRestore } from "./database-restore.js";

const meta = (name: string) => ({ name, namespace: "shop" });

describe("the resource schemas", () => {
  it("accept the contract's examples (DESIGN.md) and fill the defaults", () => {
    const cluster = databaseCluster.parse({
      apiVersion: "steward.dev/v1alpha1",
      kind: "DatabaseCluster",
      metadata: meta("orders"),
      spec: {
        engine: "mysql",
        flavor: "mariadb",
        version: "10.11",
        replicas: 3,
        storage: { size: "10Gi" },
        resources: { requests: { cpu: "500m", memory: "1Gi" } },
        failover: { delaySeconds: 5, dataLoss: "none" },
        backup: { storage: "s3", schedule: "0 3 * * *", retention: { keepLast: 7, maxAge: "30d" }, pointInTime: { enabled: true } },
      },
      status: { phase: "Ready", currentPrimary: "orders-0", connectionSecret: "orders-conn", instances: [{ name: "orders-0", role: "primary", ready: true }] },
    });
    expect(cluster.spec.backup?.compression).toBe("zstd");
    expect(cluster.spec.deletionPolicy).toBe("RetainData");
    expect(backupStorage.parse({ apiVersion: "steward.dev/v1alpha1", kind: "BackupStorage", metadata: meta("s3"), spec: { s3: { endpoint: "https://s3.example:7070", region: "us-east-1", bucket: "backups", prefix: "shop/", forcePathStyle: true, credentialsSecret: { name: "s3-creds" } }, encryption: { keySecret: { name: "backup-key", key: "key" } } } }).spec.s3).toMatchObject({ bucket: "backups", insecureSkipVerify: false, allowInsecure: false });
    expect(databaseBackup.parse({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseBackup", metadata: meta("orders-manual-1"), spec: { cluster: "orders" } }).spec).toEqual({ cluster: "orders", method: "logical", deletionPolicy: "Delete" });
    expect(databaseRestore.parse({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseRestore", metadata: meta("r"), spec: { source: { backup: "orders-manual-1" }, target: { newCluster: "orders-copy" } } }).spec.target.newCluster).toBe("orders-copy");
    expect(databaseRestore.parse({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseRestore", metadata: meta("r"), spec: { source: { cluster: "orders", pointInTime: "2026-11-25T10:00:00Z" } } }).spec.target).toEqual({});
  });

  it("derive one effective spec per engine, so no reconciler re-derives a default", () => {
    const parse = (name: string, spec: Record<string, unknown>) => effectiveSpec(databaseCluster.parse({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", metadata: meta(name), spec }));
    expect(parse("my-shop", { engine: "mysql" })).toMatchObject({ flavor: "mysql", version: "8.4", replicas: 3, database: "my_shop", username: "app", storage: { size: "1Gi" }, failover: { delaySeconds: 5, dataLoss: "none" } });
    expect(parse("orders", { engine: "mysql", flavor: "mariadb" })).toMatchObject({ flavor: "mariadb", version: "10.11" });
    expect(parse("cache", { engine: "redis", replicas: 1 })).toMatchObject({ flavor: undefined, version: "7.0", database: undefined, replicas: 1 });
    expect(parse("events", { engine: "rabbitmq", username: "svc" })).toMatchObject({ version: "3.13", username: "svc" });
  });

  it("refuse what the API server also refuses, naming the field", () => {
    const issues = (spec: Record<string, unknown>) => {
      const result = databaseCluster.safeParse({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", metadata: meta("x"), spec });
      return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    };
    expect(issues({ engine: "postgres" })[0]).toMatch(/^spec\.engine: /);
    expect(issues({ engine: "redis", replicas: 0 })[0]).toMatch(/^spec\.replicas: /);
    expect(issues({ engine: "mysql", backup: { storage: "s3", schedule: "61 * * * *" } })[0]).toMatch(/^spec\.backup\.schedule: schedule must be a five-field cron expression/);
    expect(issues({ engine: "mysql", backup: { storage: "s3", retention: { maxAge: "30 days" } } })[0]).toMatch(/^spec\.backup\.retention\.maxAge: /);
    expect(issues({ engine: "mysql", version: "latest" })[0]).toMatch(/^spec\.version: version must look like 10\.11/);
    expect(backupStorage.safeParse({ apiVersion: "steward.dev/v1alpha1", kind: "BackupStorage", metadata: meta("s"), spec: { s3: { bucket: "Bad_Bucket", credentialsSecret: { name: "c" } } } }).success).toBe(false);
    expect(databaseRestore.safeParse({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseRestore", metadata: meta("r"), spec: { source: { cluster: "c", pointInTime: "yesterday" } } }).success).toBe(false);
  });

  it("read retention ages as durations", () => {
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("30d")).toBe(30 * 86_400_000);
    expect(() => parseDuration("30 days")).toThrow(/not a duration like 90s/);
  });
});
