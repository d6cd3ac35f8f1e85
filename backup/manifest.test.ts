import { describe, expect, it } from "vitest";
import { archiverStateKey, backupDataKey, backupManifestKey, logSegmentKeys, parseManifest, type BackupManifest } from "./manifest.js";

const cluster = { namespace: "shop", name: "orders" };
const manifest: BackupManifest = {
  format: 1,
  kind: "Backup",
  engine: "mysql",
  flavor: "mariadb",
  version: "10.11.19",
  producer: "mariadb-dump (mariadb)",
  cluster,
  backup: "orders-20261125-0300",
  method: "logical",
  startedAt: "2026-11-25T03:00:00.000Z",
  completedAt: "2026-11-25T03:01:00.000Z",
  consistentAt: "2026-11-25T03:00:01.000Z",
  position: { summary: "GTID 0-1-42 at mysql-bin.000003:1234", gtidSet: "0-1-42", binlogFile: "mysql-bin.000003", binlogOffset: 1234 },
  data: { key: "k", size: 10, rawSize: 20, sha256: `sha256:${"a".repeat(64)}`, compression: "zstd", encryption: { algorithm: "AES-256-GCM-STREAM-v1", keyId: "sha256:0123456789abcdef", chunkBytes: 65536 }, contentType: "application/sql" },
};

describe("backup manifests", () => {
  it("round-trip through JSON with every field kept (engine-specific position fields too)", () => {
    expect(parseManifest(JSON.stringify(manifest), "s3://b/m")).toEqual(manifest);
  });

  it("refuse what is not a manifest, naming the field", () => {
    expect(() => parseManifest("{", "s3://b/m")).toThrow(/s3:\/\/b\/m is not JSON/);
    expect(() => parseManifest(JSON.stringify({ ...manifest, data: { ...manifest.data, sha256: "md5:1" } }), "s3://b/m")).toThrow(/data.sha256/);
    expect(() => parseManifest(JSON.stringify({ ...manifest, format: 2 }), "s3://b/m")).toThrow(/format/);
  });

  it("lay objects out per namespace, cluster and backup, with suffixes that say what a file is", () => {
    expect(backupDataKey("team/", cluster, "b1", ".sql", "zstd", true)).toBe("team/shop/orders/backups/b1/data.sql.zst.enc");
    expect(backupDataKey("", cluster, "b1", ".sql", "gzip", false)).toBe("shop/orders/backups/b1/data.sql.gz");
    expect(backupDataKey("", cluster, "b1", ".rdb", "none", false)).toBe("shop/orders/backups/b1/data.rdb");
    expect(backupManifestKey("", cluster, "b1")).toBe("shop/orders/backups/b1/manifest.json");
    expect(logSegmentKeys("", cluster, "orders-0", "mysql-bin.000007", "zstd", false)).toEqual({ data: "shop/orders/logs/orders-0/mysql-bin.000007.zst", manifest: "shop/orders/logs/orders-0/mysql-bin.000007.json" });
    expect(archiverStateKey("", cluster, "orders-0")).toBe("shop/orders/logs/orders-0/archiver.json");
  });
});
