/**
 * The command lines of physical copies, per flavour. MariaDB: mariabackup (Debian's
 * mariadb-backup, the server's version), proven end to end here. MySQL 8.4: Percona
 * XtraBackup 8.4 (`xtrabackup`, `xbstream`), written from its documentation and NOT run on
 * these machines (no MySQL 8.4 server or xtrabackup can be installed here): unproven.
 */
import type { MysqlFlavor } from "../../../shared/api/index.js";

/** Response headers of the agent's /v1/mysql/physical-backup: which data directory the copy is of, and whether it is incremental. */
export const PHYSICAL_HEADERS = { dataId: "x-steward-data-id", copy: "x-steward-copy" } as const;

export interface ToolCommand {
  command: string;
  args: string[];
}

/** `--backup --stream` on the instance that holds the data; the copy goes to stdout. */
export function physicalCopyCommand(flavor: MysqlFlavor, options: { defaultsFile: string; targetDir: string; incrementalLsn?: string }): ToolCommand {
  const incremental = options.incrementalLsn === undefined ? [] : [`--incremental-lsn=${options.incrementalLsn}`];
  if (flavor === "mysql") {
    // xtrabackup 8.4 (unproven here): the same options; --stream=xbstream is its only stream format.
    return { command: "xtrabackup", args: [`--defaults-file=${options.defaultsFile}`, "--backup", "--stream=xbstream", `--target-dir=${options.targetDir}`, ...incremental] };
  }
  return { command: "mariabackup", args: [`--defaults-file=${options.defaultsFile}`, "--backup", "--stream=mbstream", `--target-dir=${options.targetDir}`, ...incremental] };
}

/** Unpacks a stream on stdin into an empty directory. */
export function unpackCommand(flavor: MysqlFlavor, directory: string): ToolCommand {
  return { command: flavor === "mysql" ? "xbstream" : "mbstream", args: ["-x", "-C", directory] };
}

/**
 * Prepares a copy so the server can start on it. A chain is prepared in order: the base, then
 * each incremental applied onto it. mariabackup (10.2+) prepares the base fully and applies
 * incrementals onto the prepared base; xtrabackup needs --apply-log-only on every step but the
 * last (uncommitted transactions must not be rolled back before later increments arrive).
 */
export function prepareCommand(flavor: MysqlFlavor, options: { targetDir: string; incrementalDir?: string; last: boolean }): ToolCommand {
  const incremental = options.incrementalDir === undefined ? [] : [`--incremental-dir=${options.incrementalDir}`];
  // The buffer pool that applies the redo log: the default 100M makes a busy copy's prepare
  // slow; 256M fits the restore Job's 512Mi beside the agent.
  const memory = `--use-memory=${PREPARE_MEMORY}`;
  if (flavor === "mysql") {
    return { command: "xtrabackup", args: ["--prepare", ...(options.last ? [] : ["--apply-log-only"]), memory, `--target-dir=${options.targetDir}`, ...incremental] };
  }
  return { command: "mariabackup", args: ["--no-defaults", "--prepare", memory, `--target-dir=${options.targetDir}`, ...incremental] };
}

const PREPARE_MEMORY = "256M";
