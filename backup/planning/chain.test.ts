import { describe, expect, it } from "vitest";
import type { BackupManifest } from "../manifest.js";
import { ancestorsOf, backupChain, chooseIncrementalParent } from "./chain.js";

// Hand-written manifests: only the fields chains read are meaningful.
function manifest(backup: string, completedAt: string, options: { parent?: string; base?: string; method?: "logical" | "physical" } = {}): BackupManifest {
  return {
    format: 1,
    kind: "Backup",
    engine: "mysql",
    version: "10.11.19",
    producer: "mariabackup",
    cluster: { namespace: "shop", name: "orders" },
    backup,
    method: options.method ?? "physical",
    startedAt: completedAt,
    completedAt,
    consistentAt: completedAt,
    position: { summary: "GTID 0-1-1" },
    data: { key: `${backup}/data.xbstream.zst`, size: 1, rawSize: 1, sha256: `sha256:${"0".repeat(64)}`, compression: "zstd", encryption: null, contentType: "application/octet-stream" },
    chain: options.parent ? { parent: options.parent, base: options.base ?? options.parent } : undefined,
  };
}

describe("chooseIncrementalParent", () => {
  it("builds on the newest physical backup, never on a logical one", () => {
    const backups = [manifest("f1", "2026-11-01T03:00:00Z"), manifest("i1", "2026-11-02T03:00:00Z", { parent: "f1" }), manifest("l1", "2026-11-03T03:00:00Z", { method: "logical" })];
    expect(chooseIncrementalParent(backups.map((m) => ({ manifest: m })))?.manifest.backup).toBe("i1");
  });

  it("has none without a physical backup (the copy is then full)", () => {
    expect(chooseIncrementalParent([{ manifest: manifest("l1", "2026-11-03T03:00:00Z", { method: "logical" }) }])).toBeUndefined();
  });
});

describe("backupChain", () => {
  const f1 = manifest("f1", "2026-11-01T03:00:00Z");
  const i1 = manifest("i1", "2026-11-02T03:00:00Z", { parent: "f1" });
  const i2 = manifest("i2", "2026-11-03T03:00:00Z", { parent: "i1", base: "f1" });
  const byName = new Map([f1, i1, i2].map((m) => [m.backup, m]));

  it("reads from the full base to the target", () => {
    expect(backupChain(i2, byName).map((m) => m.backup)).toEqual(["f1", "i1", "i2"]);
    expect(backupChain(f1, byName).map((m) => m.backup)).toEqual(["f1"]);
  });

  it("names a missing link", () => {
    expect(() => backupChain(i2, new Map([["i2", i2], ["f1", f1]]))).toThrow(/i2 is incremental on top of i1, which has no manifest/);
  });

  it("refuses a loop", () => {
    const a = manifest("a", "2026-11-01T03:00:00Z", { parent: "b" });
    const b = manifest("b", "2026-11-02T03:00:00Z", { parent: "a" });
    expect(() => backupChain(a, new Map([["a", a], ["b", b]]))).toThrow(/loops/);
  });
});

describe("ancestorsOf", () => {
  it("follows parents to the base", () => {
    expect(ancestorsOf("i2", new Map([["i2", "i1"], ["i1", "f1"], ["f1", undefined]]))).toEqual(["i1", "f1"]);
  });
});
