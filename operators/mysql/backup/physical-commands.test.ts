import { describe, expect, it } from "vitest";
import { physicalCopyCommand, prepareCommand, unpackCommand } from "./physical-commands.js";

describe("physical copy command lines", () => {
  it("mariadb: mariabackup streams mbstream, incremental by LSN", () => {
    expect(physicalCopyCommand("mariadb", { defaultsFile: "/w/client.cnf", targetDir: "/w/meta", incrementalLsn: "44744" })).toEqual({
      command: "mariabackup",
      args: ["--defaults-file=/w/client.cnf", "--backup", "--stream=mbstream", "--target-dir=/w/meta", "--incremental-lsn=44744"],
    });
    expect(unpackCommand("mariadb", "/data")).toEqual({ command: "mbstream", args: ["-x", "-C", "/data"] });
  });

  it("mariadb: the base is prepared fully and incrementals are applied onto it (run end to end in test/integration/backup-mariadb.test.ts)", () => {
    expect(prepareCommand("mariadb", { targetDir: "/data", last: false }).args).toEqual(["--no-defaults", "--prepare", "--use-memory=256M", "--target-dir=/data"]);
    expect(prepareCommand("mariadb", { targetDir: "/data", incrementalDir: "/s/incremental-1", last: true }).args).toEqual(["--no-defaults", "--prepare", "--use-memory=256M", "--target-dir=/data", "--incremental-dir=/s/incremental-1"]);
  });

  // Written from Percona XtraBackup 8.4's documentation; never run here (no MySQL 8.4 or xtrabackup can be installed).
  it("mysql (xtrabackup 8.4, unproven): --apply-log-only on every prepare but the last", () => {
    expect(physicalCopyCommand("mysql", { defaultsFile: "/w/client.cnf", targetDir: "/w/meta" })).toEqual({ command: "xtrabackup", args: ["--defaults-file=/w/client.cnf", "--backup", "--stream=xbstream", "--target-dir=/w/meta"] });
    expect(unpackCommand("mysql", "/data").command).toBe("xbstream");
    expect(prepareCommand("mysql", { targetDir: "/data", last: false }).args).toContain("--apply-log-only");
    expect(prepareCommand("mysql", { targetDir: "/data", incrementalDir: "/s/incremental-2", last: true }).args).toEqual(["--prepare", "--use-memory=256M", "--target-dir=/data", "--incremental-dir=/s/incremental-2"]);
  });
});
