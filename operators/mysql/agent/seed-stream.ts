/**
 * The copy a new replica starts from: on the primary, mariabackup streams a consistent
 * physical copy (mbstream format) to the HTTP response; on the replica, the init step unpacks
 * it with mbstream, prepares it and records the GTID position it ends at. No temporary copy on
 * either side beyond mariabackup's small metadata folder.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { runTool, type ToolRun } from "../../../backup/tool-process.js";
import type { MysqlFlavor } from "../../../shared/api/index.js";
import { physicalCopyCommand } from "../backup/physical-commands.js";
import { MYSQL_PATHS } from "../names.js";
import { gtidFromBinlogInfo } from "../users.js";

export interface SeedSourceOptions {
  rootPassword: string;
  socket?: string;
  dataDir?: string;
  tmpDir?: string;
  /** Copy only pages changed since this LSN (an incremental physical backup on top of a copy that ends there). */
  incrementalLsn?: string;
  /** mariadb (mariabackup) unless said; mysql runs xtrabackup 8.4 (unproven here, physical-commands.ts). */
  flavor?: MysqlFlavor;
}

/** Starts mariabackup --backup --stream; the caller pipes `output` and awaits `exited`. */
export function startSeedStream(options: SeedSourceOptions): ToolRun & { cleanup(): void } {
  const work = mkdtempSync(join(options.tmpDir ?? MYSQL_PATHS.tmpDir, "steward-seed-"));
  // The password goes in a 0600 file, never in an argument (visible in /proc) or a log.
  const defaults = join(work, "client.cnf");
  writeFileSync(
    defaults,
    `[${options.flavor === "mysql" ? "xtrabackup" : "mariabackup"}]\nuser=root\npassword=${options.rootPassword}\nsocket=${options.socket ?? MYSQL_PATHS.socket}\ndatadir=${options.dataDir ?? MYSQL_PATHS.dataDir}\ntmpdir=${options.tmpDir ?? MYSQL_PATHS.tmpDir}\n`,
    { mode: 0o600 },
  );
  const target = join(work, "meta");
  const { command, args } = physicalCopyCommand(options.flavor ?? "mariadb", { defaultsFile: defaults, targetDir: target, incrementalLsn: options.incrementalLsn });
  const run = runTool(command, args, { redact: [options.rootPassword] });
  return { ...run, cleanup: () => rmSync(work, { recursive: true, force: true }) };
}

/** Unpacks a stream into `dataDir` (empty), prepares it and returns the GTID position it ends at. */
export async function receiveSeed(body: Readable, dataDir: string): Promise<string> {
  const unpack = runTool("mbstream", ["-x", "-C", dataDir], { stdin: "pipe", stdout: "ignore" });
  await Promise.all([pipeline(body, unpack.input!), unpack.exited]);
  const prepare = runTool("mariabackup", ["--no-defaults", "--prepare", `--target-dir=${dataDir}`], { stdout: "ignore" });
  await prepare.exited;
  const info = [join(dataDir, "mariadb_backup_binlog_info"), join(dataDir, "xtrabackup_binlog_info")].find((file) => existsSync(file));
  return info ? gtidFromBinlogInfo(readFileSync(info, "utf8")) : "";
}

/** Fetches the stream from the primary's agent and unpacks it; throws with the reason on any failure. */
export async function fetchSeed(url: string, token: string, dataDir: string, signal?: AbortSignal): Promise<string> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal });
  if (!response.ok || !response.body) throw new Error(`GET ${url} answered HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`);
  return receiveSeed(Readable.fromWeb(response.body as import("node:stream/web").ReadableStream), dataDir);
}
