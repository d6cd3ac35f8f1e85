import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterAll, describe, expect, it } from "vitest";
import { CHECKSUMS_FILE, METADATA_FILES, XbstreamWatcher, parseCheckpoints, xbstreamFile } from "./xbstream.js";
import { existsSync, readFileSync } from "node:fs";

// Streams made by the real `mbstream -c` (Debian's mariadb-backup), from files written here.
const work = mkdtempSync(join(tmpdir(), "xbstream-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const checkpoints = "backup_type = incremental\nfrom_lsn = 44744\nto_lsn = 18446744073709551000\nlast_lsn = 52228\nrecover_binlog_info = 0\n";
writeFileSync(join(work, "xtrabackup_checkpoints"), checkpoints);
writeFileSync(join(work, "xtrabackup_binlog_info"), "x-bin.000001\t1651\t0-1-7\n");
writeFileSync(join(work, "ibdata1.delta"), Buffer.alloc(3 * 1024 * 1024 + 17, 7));
const stream = execFileSync("mbstream", ["-c", "ibdata1.delta", "xtrabackup_checkpoints", "xtrabackup_binlog_info"], { cwd: work, maxBuffer: 64 * 1024 * 1024 });

async function watch(bytes: Buffer, piece: number, keep?: readonly string[]): Promise<XbstreamWatcher> {
  const watcher = new XbstreamWatcher(keep);
  const pieces = function* () {
    for (let offset = 0; offset < bytes.length; offset += piece) yield bytes.subarray(offset, offset + piece);
  };
  await pipeline(Readable.from(pieces()), watcher, new Writable({ write: (_chunk, _encoding, callback) => callback() }));
  return watcher;
}

describe("XbstreamWatcher", () => {
  it.each([1, 7, 4096, 1 << 20])("keeps the metadata files of a stream read %i bytes at a time", async (piece) => {
    const watcher = await watch(stream, piece);
    expect(watcher.files.get("xtrabackup_binlog_info")).toBe("x-bin.000001\t1651\t0-1-7\n");
    expect(watcher.files.get("xtrabackup_checkpoints")).toBe(checkpoints);
    expect(watcher.files.has("ibdata1.delta")).toBe(false);
    expect(watcher.binlogInfoAt).toBeInstanceOf(Date);
  });

  it("announces the binlog position once, as its chunk starts", async () => {
    const watcher = new XbstreamWatcher();
    let seen = 0;
    watcher.on("binlog-info", () => seen++);
    await pipeline(Readable.from([stream]), watcher, new Writable({ write: (_chunk, _encoding, callback) => callback() }));
    expect(seen).toBe(1);
  });

  it("appends a file that the real mbstream unpacks, CRC and all, and that the watcher keeps", async () => {
    const payload = Buffer.from(JSON.stringify([{ table: "`shop`.`items`", checksum: "123" }]));
    const combined = Buffer.concat([stream, xbstreamFile(CHECKSUMS_FILE, payload)]);
    const out = join(work, "unpacked");
    execFileSync("mkdir", ["-p", out]);
    execFileSync("mbstream", ["-x", "-C", out], { input: combined });
    expect(readFileSync(join(out, CHECKSUMS_FILE))).toEqual(payload);
    expect(existsSync(join(out, "xtrabackup_checkpoints"))).toBe(true);
    const watcher = await watch(combined, 4096, [...METADATA_FILES, CHECKSUMS_FILE]);
    expect(watcher.files.get(CHECKSUMS_FILE)).toBe(payload.toString());
  });

  it("refuses a stream cut inside a chunk", async () => {
    await expect(watch(stream.subarray(0, stream.length - 5), 65536)).rejects.toThrow(/ended inside a chunk/);
  });

  it("refuses bytes that are not an xbstream", async () => {
    await expect(watch(Buffer.from("-- MariaDB dump 10.19\nCREATE TABLE t (id int);\n"), 16)).rejects.toThrow(/not an xbstream/);
  });
});

describe("parseCheckpoints", () => {
  it("keeps 64-bit LSNs exact", () => {
    expect(parseCheckpoints(checkpoints)).toEqual({ backupType: "incremental", fromLsn: "44744", toLsn: "18446744073709551000", lastLsn: "52228" });
  });

  it("says what is missing", () => {
    expect(() => parseCheckpoints(undefined)).toThrow(/no xtrabackup_checkpoints/);
    expect(() => parseCheckpoints("backup_type = full-backuped\n")).toThrow(/no from_lsn/);
  });
});
