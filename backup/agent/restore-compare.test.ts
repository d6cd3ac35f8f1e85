import { describe, expect, it } from "vitest";
import type { BackupManifest } from "../manifest.js";
import { compareWithRecorded } from "./restore-commands.js";

const manifest = { backup: "b1", checksums: [{ table: "shop.items", checksum: "1" }, { table: "shop.events", checksum: "2" }] } as BackupManifest;

describe("compareWithRecorded", () => {
  it("accepts the tables recorded at backup time, in any order", () => {
    expect(() => compareWithRecorded(manifest, [{ table: "shop.events", checksum: "2" }, { table: "shop.items", checksum: "1" }])).not.toThrow();
  });

  it("names every table that differs, is missing or was not recorded", () => {
    expect(() => compareWithRecorded(manifest, [{ table: "shop.items", checksum: "9" }, { table: "shop.extra", checksum: "3" }])).toThrow(
      "CHECKSUM TABLE of the restored data differs from backup b1's, recorded at backup time: shop.items (at backup time 1, restored 9); shop.events (at backup time 2, restored missing); shop.extra (not in the backup's recorded checksums)",
    );
  });
});
