import { describe, expect, it } from "vitest";
import { readFileSync, statSync } from "node:fs";
import { endpointFromOptions } from "../../../backup/agent/environment.js";
import { buildBinlogArchiverContainer, mysqlJobTarget, physicalSources } from "./job-target.js";

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

describe("physicalSources", () => {
  const cluster = (instances: { name: string; role: "primary" | "replica"; ready: boolean; replication?: string; lagSeconds?: number }[]) =>
    ({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", metadata: { name: "orders", namespace: "shop" }, spec: { engine: "mysql" }, status: { currentPrimary: "orders-0", instances } }) as never;
  const host = (pod: string) => `${pod}.orders-headless.shop.svc.cluster.local`;

  it("takes copies on streaming replicas, least lag first, never on the primary while one is healthy", () => {
    const sources = physicalSources(
      cluster([
        { name: "orders-0", role: "primary", ready: true },
        { name: "orders-1", role: "replica", ready: true, replication: "Running", lagSeconds: 4 },
        { name: "orders-2", role: "replica", ready: true, replication: "Running", lagSeconds: 0 },
        { name: "orders-3", role: "replica", ready: true, replication: "Error" },
        { name: "orders-4", role: "replica", ready: false, replication: "Running" },
      ]),
    );
    expect(sources).toEqual([host("orders-2"), host("orders-1")]);
  });

  it("falls back to the primary when no replica is healthy (a single instance)", () => {
    expect(physicalSources(cluster([{ name: "orders-0", role: "primary", ready: true }]))).toEqual([host("orders-0")]);
  });
});

describe("how Jobs reach the cluster", () => {
  const cluster = (tls?: { enabled: boolean; required: boolean }) => ({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", metadata: { name: "orders", namespace: "shop" }, spec: { engine: "mysql", flavor: "mariadb", ...(tls ? { tls } : {}) } }) as never;
  it("hands them the cluster's CA from its TLS Secret, unless TLS is off", () => {
    expect(mysqlJobTarget(cluster()).env).toContainEqual({ name: "STEWARD_TLS_CA", valueFrom: { secretKeyRef: { name: "orders-tls", key: "ca.crt" } } });
    expect(mysqlJobTarget(cluster({ enabled: false, required: false })).env.map((variable) => variable.name)).not.toContain("STEWARD_TLS_CA");
  });
  it("turns the CA into a private file for client tools, only for TCP endpoints", () => {
    const endpoint = endpointFromOptions({ host: "orders-primary.shop.svc", port: "3306" }, { STEWARD_TLS_CA: "-----BEGIN CERTIFICATE-----\n" });
    expect(readFileSync(endpoint.caFile!, "utf8")).toBe("-----BEGIN CERTIFICATE-----\n");
    expect(statSync(endpoint.caFile!).mode & 0o777).toBe(0o600);
    expect(endpointFromOptions({ socket: "/run/mysqld/mysqld.sock" }, { STEWARD_TLS_CA: "x" }).caFile).toBeUndefined();
  });
});
