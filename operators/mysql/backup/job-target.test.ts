import { describe, expect, it } from "vitest";
import { buildBinlogArchiverContainer } from "./job-target.js";

describe("the PITR archiver sidecar", () => {
  it("reads binlogs from the data volume, the server through its socket, the storage from the cluster's Secret", () => {
    const cluster = { apiVersion: "steward.dev/v1alpha1" as const, kind: "DatabaseCluster" as const, metadata: { name: "orders", namespace: "shop" }, spec: { engine: "mysql" } } as never;
    const container = buildBinlogArchiverContainer(cluster, { flavor: "mariadb", backup: { storage: "s3", compression: "zstd", verify: false, pointInTime: { enabled: true } } }, "img");
    expect(container.command).toEqual(["steward", "agent", "archive-binlogs"]);
    expect(container.args).toEqual(expect.arrayContaining(["--socket", "/run/mysqld/mysqld.sock", "--data-dir", "/var/lib/mysql/data", "--max-segment-age", "10s", "--cluster", "orders"]));
    expect(container.envFrom).toEqual([{ secretRef: { name: "orders-backup-storage" } }]);
    expect(container.volumeMounts).toEqual([
      { name: "data", mountPath: "/var/lib/mysql", readOnly: true },
      { name: "run", mountPath: "/run/mysqld" },
    ]);
  });
});
