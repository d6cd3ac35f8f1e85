import type { MysqlFlavor } from "../../../shared/api/index.js";
import type { EngineEndpoint } from "../../../backup/engine-backup.js";

/**
 * Schemas never dumped: the server's own (and `mysql`, which holds users, grants and the
 * operator's generated credentials: restoring it would replace the target cluster's users
 * with the source's, and an in-place restore would roll passwords back).
 */
export const SYSTEM_SCHEMAS = ["mysql", "sys", "information_schema", "performance_schema"] as const;

/** Client flags to reach the server; the password goes in MYSQL_PWD, never on the command line. */
export function connectionArgs(endpoint: EngineEndpoint, flavor: MysqlFlavor = "mariadb"): string[] {
  const args = ["--no-defaults"];
  if (endpoint.socket) args.push(`--socket=${endpoint.socket}`);
  else args.push(`--host=${endpoint.host}`, `--port=${endpoint.port}`, "--protocol=TCP");
  // TLS verifying the certificate and the host name, as each client spells it.
  if (endpoint.caFile && !endpoint.socket) args.push(`--ssl-ca=${endpoint.caFile}`, flavor === "mariadb" ? "--ssl-verify-server-cert" : "--ssl-mode=VERIFY_IDENTITY");
  if (endpoint.username) args.push(`--user=${endpoint.username}`);
  return args;
}

export function toolEnvironment(endpoint: EngineEndpoint): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TZ: "UTC" };
  delete env.MYSQL_PWD;
  if (endpoint.password) env.MYSQL_PWD = endpoint.password;
  return env;
}

export interface DumpCommand {
  command: string;
  args: string[];
}

/**
 * A consistent logical dump with the replication position:
 * - MariaDB: `mariadb-dump --single-transaction --gtid --master-data=2`: one InnoDB snapshot, a
 *   brief FLUSH TABLES WITH READ LOCK to read the binlog position, the position written as
 *   comments (`-- CHANGE MASTER TO MASTER_LOG_FILE=...` near the top, the deferred
 *   `-- SET GLOBAL gtid_slave_pos=...` at the end) so loading the dump changes no replication
 *   state. Every schema but the system ones (--ignore-database).
 * - MySQL 8.4: `mysqldump --single-transaction --source-data=2 --set-gtid-purged=COMMENTED`
 *   (--master-data was renamed in 8.0.26 and removed in 8.4; mysqldump has no
 *   --ignore-database, so the schemas are listed).
 * Both: routines, events, triggers, binary data as hex, rows streamed (--quick).
 */
export function buildDumpCommand(flavor: MysqlFlavor, endpoint: EngineEndpoint, databases: string[]): DumpCommand {
  const common = ["--single-transaction", "--quick", "--routines", "--events", "--triggers", "--hex-blob", "--max-allowed-packet=1G"];
  if (flavor === "mariadb") {
    return {
      command: "mariadb-dump",
      args: [...connectionArgs(endpoint, flavor), ...common, "--gtid", "--master-data=2", "--all-databases", ...SYSTEM_SCHEMAS.slice(0, 2).map((schema) => `--ignore-database=${schema}`)],
    };
  }
  if (databases.length === 0) throw new Error("the server has no databases besides the system schemas: nothing to back up");
  return {
    command: "mysqldump",
    args: [...connectionArgs(endpoint, flavor), ...common, "--source-data=2", "--set-gtid-purged=COMMENTED", "--column-statistics=0", "--databases", ...databases],
  };
}

/** The client that loads a dump (and replayed binlogs): the flavour's own, reading stdin. */
export function buildLoadCommand(flavor: MysqlFlavor, endpoint: EngineEndpoint): DumpCommand {
  return {
    command: flavor === "mariadb" ? "mariadb" : "mysql",
    // --binary-mode: dumps with --hex-blob are ASCII, but replayed binlogs carry BINLOG '...' with any bytes.
    args: [...connectionArgs(endpoint, flavor), "--binary-mode", "--max-allowed-packet=1G", "--batch"],
  };
}

export interface DumpPosition {
  binlogFile?: string;
  binlogOffset?: number;
  /** MariaDB: domain-server-sequence list. MySQL: the executed GTID set (uuid:interval,...). */
  gtidSet?: string;
}

/**
 * Reads the replication position from the comments the dump tools write. MariaDB writes the
 * file/offset line near the top and the GTID line at the very end; MySQL writes both near
 * the top. Given the dump's first and last few KiB.
 */
export function parseDumpPosition(head: string, tail: string): DumpPosition {
  const text = `${head}\n${tail}`;
  const position: DumpPosition = {};
  const coordinates = /CHANGE (?:MASTER|REPLICATION SOURCE) TO (?:MASTER|SOURCE)_LOG_FILE='([^']+)', (?:MASTER|SOURCE)_LOG_POS=(\d+)/.exec(text);
  if (coordinates) {
    position.binlogFile = coordinates[1];
    position.binlogOffset = Number(coordinates[2]);
  }
  const mariadbGtid = /SET GLOBAL gtid_slave_pos='([^']*)'/.exec(text);
  if (mariadbGtid) position.gtidSet = mariadbGtid[1];
  const mysqlGtid = /SET @@GLOBAL\.GTID_PURGED=(?:\/\*!80000 '\+'\*\/ )?'([^']*)'/.exec(text);
  if (mysqlGtid) position.gtidSet = mysqlGtid[1]!.replace(/\s+/g, "");
  return position;
}

export function describePosition(position: DumpPosition): string {
  const parts: string[] = [];
  if (position.gtidSet !== undefined) parts.push(`GTID ${position.gtidSet || "(empty)"}`);
  if (position.binlogFile) parts.push(`${position.binlogFile}:${position.binlogOffset}`);
  return parts.join(" at ") || "unknown";
}

/** "10.11.19-MariaDB-0+deb12u1-log" → mariadb 10.11.19; "8.4.3" → mysql 8.4.3 */
export function parseServerVersion(text: string): { flavor: MysqlFlavor; version: string } {
  const version = /^(\d+\.\d+\.\d+)/.exec(text)?.[1] ?? text;
  return { flavor: /mariadb/i.test(text) ? "mariadb" : "mysql", version };
}
