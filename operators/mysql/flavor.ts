/**
 * Where MariaDB 10.11 and MySQL 8.4 differ in SQL: replication statements, status columns,
 * GTID variables, semi-sync variable names, the read-only switch and the wait function.
 * Everything else in this folder speaks through `flavorSql(flavor)`.
 *
 * Statements come back as { sql, values } for mysql2's client-side escaping (`?` for values,
 * `??` never used): CHANGE MASTER/REPLICATION SOURCE cannot be a server-side prepared statement.
 */
import type { MysqlFlavor } from "../../shared/api/index.js";

export interface Statement {
  sql: string;
  values?: (string | number)[];
}

/** A replica's replication threads, in words that do not depend on the flavour. */
export interface ReplicationStatus {
  sourceHost: string;
  sourcePort: number;
  /** "Yes", "No" or "Connecting", as the server says it. */
  ioRunning: string;
  sqlRunning: boolean;
  /** Everything the IO thread has received (MariaDB Gtid_IO_Pos, MySQL Retrieved_Gtid_Set). */
  received: string;
  lagSeconds: number | null;
  lastIoErrno: number;
  lastIoError: string;
  lastSqlErrno: number;
  lastSqlError: string;
  /** The IO thread connects over TLS (MariaDB Master_SSL_Allowed, MySQL Source_SSL_Allowed). */
  ssl: boolean;
  /** MariaDB Using_Gtid (Slave_Pos/Current_Pos/No), MySQL Auto_Position (1/0). */
  gtidMode: string;
}

/** The server variables observation reads, with the flavour's names mapped to one shape. */
export interface ServerVariables {
  serverId: number;
  serverUuid?: string;
  version: string;
  readOnly: boolean;
  /** GTIDs written to this server's binary log (MariaDB gtid_binlog_pos, MySQL gtid_executed). */
  binlog: string;
  /** MariaDB only: the last GTIDs applied by replication (gtid_slave_pos). */
  replicated?: string;
  semiSyncSource: boolean;
}

export interface ChangeSourceOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  /** MariaDB: the old primary rejoins from its own binary log position (see rejoinPosition). */
  connectRetrySeconds?: number;
  heartbeatSeconds?: number;
  /** Replicate over TLS, verifying the source's certificate and name against this CA file. */
  tlsCaFile?: string;
}

export interface FlavorSql {
  readonly flavor: MysqlFlavor;
  /** The server program and config section names. */
  readonly serverBinary: string;
  readonly configSection: string;
  readonly variables: string;
  parseVariables(row: Record<string, unknown>): ServerVariables;
  readonly replicaStatus: string;
  parseReplicaStatus(row: Record<string, unknown>): ReplicationStatus;
  changeSource(options: ChangeSourceOptions): Statement;
  startReplica: string;
  stopReplica: string;
  resetReplicaAll: string;
  /** Makes a demoted primary (or any instance about to replicate) start from everything it holds. */
  rejoinPosition: string[];
  /** Waits until the instance applied this GTID set; the result column `done` is 1 when it did. */
  waitForApplied(gtid: string, timeoutSeconds: number): Statement;
  setReadOnly(on: boolean): string[];
  setSemiSyncSource(on: boolean, timeoutMs: number): string[];
  /** Variables that must be set before the IO thread starts for semi-sync replies. */
  semiSyncReplicaOn: string;
  /** Reads the expiry of the certificate the server presents now (column Value). */
  tlsNotAfter: string;
  /** Loads the certificate files again without a restart; sessions already open keep theirs. */
  reloadTls: string;
}

function text(row: Record<string, unknown>, key: string): string {
  const value = row[key];
  if (value === null || value === undefined) return "";
  return Buffer.isBuffer(value) ? value.toString("utf8") : String(value);
}

function integer(row: Record<string, unknown>, key: string): number {
  const value = text(row, key);
  return value === "" ? 0 : Number(value);
}

function flag(row: Record<string, unknown>, key: string): boolean {
  const value = text(row, key).toUpperCase();
  return value === "1" || value === "ON" || value === "YES" || value === "TRUE";
}

function nullableNumber(row: Record<string, unknown>, key: string): number | null {
  const value = text(row, key);
  return value === "" || value.toUpperCase() === "NULL" ? null : Number(value);
}

const mariadb: FlavorSql = {
  flavor: "mariadb",
  serverBinary: "mariadbd",
  configSection: "mariadbd",
  variables:
    "SELECT @@server_id AS server_id, @@version AS version, @@read_only AS read_only, @@gtid_binlog_pos AS binlog, " +
    "@@gtid_slave_pos AS replicated, @@rpl_semi_sync_master_enabled AS semi_sync_source",
  parseVariables: (row) => ({
    serverId: integer(row, "server_id"),
    version: text(row, "version"),
    readOnly: flag(row, "read_only"),
    binlog: text(row, "binlog"),
    replicated: text(row, "replicated"),
    semiSyncSource: flag(row, "semi_sync_source"),
  }),
  replicaStatus: "SHOW SLAVE STATUS",
  parseReplicaStatus: (row) => ({
    sourceHost: text(row, "Master_Host"),
    sourcePort: integer(row, "Master_Port"),
    ioRunning: text(row, "Slave_IO_Running"),
    sqlRunning: flag(row, "Slave_SQL_Running"),
    received: text(row, "Gtid_IO_Pos"),
    lagSeconds: nullableNumber(row, "Seconds_Behind_Master"),
    lastIoErrno: integer(row, "Last_IO_Errno"),
    lastIoError: text(row, "Last_IO_Error"),
    lastSqlErrno: integer(row, "Last_SQL_Errno"),
    lastSqlError: text(row, "Last_SQL_Error"),
    ssl: text(row, "Master_SSL_Allowed") === "Yes",
    gtidMode: text(row, "Using_Gtid"),
  }),
  changeSource: (options) => ({
    sql:
      "CHANGE MASTER TO MASTER_HOST=?, MASTER_PORT=?, MASTER_USER=?, MASTER_PASSWORD=?, MASTER_USE_GTID=slave_pos, " +
      `MASTER_CONNECT_RETRY=${Math.max(1, Math.round(options.connectRetrySeconds ?? 1))}, MASTER_HEARTBEAT_PERIOD=${options.heartbeatSeconds ?? 1}` +
      (options.tlsCaFile ? ", MASTER_SSL=1, MASTER_SSL_CA=?, MASTER_SSL_VERIFY_SERVER_CERT=1" : ", MASTER_SSL=0"),
    values: [options.host, options.port, options.user, options.password, ...(options.tlsCaFile ? [options.tlsCaFile] : [])],
  }),
  startReplica: "START SLAVE",
  stopReplica: "STOP SLAVE",
  resetReplicaAll: "RESET SLAVE ALL",
  // A demoted primary's own writes are only in its binary log; slave_pos must include them or
  // it would ask the new primary for them again. Per domain the later of the two wins, which is
  // what gtid_current_pos holds.
  rejoinPosition: ["SET GLOBAL gtid_slave_pos = @@gtid_current_pos"],
  waitForApplied: (gtid, timeoutSeconds) => ({ sql: "SELECT MASTER_GTID_WAIT(?, ?) = 0 AS done", values: [gtid, timeoutSeconds] }),
  setReadOnly: (on) => [`SET GLOBAL read_only = ${on ? 1 : 0}`],
  setSemiSyncSource: (on, timeoutMs) =>
    on
      ? [`SET GLOBAL rpl_semi_sync_master_timeout = ${Math.round(timeoutMs)}`, "SET GLOBAL rpl_semi_sync_master_wait_point = AFTER_SYNC", "SET GLOBAL rpl_semi_sync_master_enabled = 1"]
      : ["SET GLOBAL rpl_semi_sync_master_enabled = 0"],
  semiSyncReplicaOn: "SET GLOBAL rpl_semi_sync_slave_enabled = 1",
  tlsNotAfter: "SHOW GLOBAL STATUS LIKE 'Ssl_server_not_after'",
  // LOCAL: a FLUSH is written to the binary log otherwise, an errant transaction on a replica.
  reloadTls: "FLUSH LOCAL SSL",
};

const mysql: FlavorSql = {
  flavor: "mysql",
  serverBinary: "mysqld",
  configSection: "mysqld",
  variables:
    "SELECT @@server_id AS server_id, @@server_uuid AS server_uuid, @@version AS version, @@super_read_only AS super_read_only, @@read_only AS read_only, " +
    "@@global.gtid_executed AS binlog, @@rpl_semi_sync_source_enabled AS semi_sync_source",
  parseVariables: (row) => ({
    serverId: integer(row, "server_id"),
    serverUuid: text(row, "server_uuid"),
    version: text(row, "version"),
    readOnly: flag(row, "read_only") || flag(row, "super_read_only"),
    binlog: text(row, "binlog"),
    semiSyncSource: flag(row, "semi_sync_source"),
  }),
  replicaStatus: "SHOW REPLICA STATUS",
  parseReplicaStatus: (row) => ({
    sourceHost: text(row, "Source_Host"),
    sourcePort: integer(row, "Source_Port"),
    ioRunning: text(row, "Replica_IO_Running"),
    sqlRunning: flag(row, "Replica_SQL_Running"),
    received: text(row, "Retrieved_Gtid_Set"),
    lagSeconds: nullableNumber(row, "Seconds_Behind_Source"),
    lastIoErrno: integer(row, "Last_IO_Errno"),
    lastIoError: text(row, "Last_IO_Error"),
    lastSqlErrno: integer(row, "Last_SQL_Errno"),
    lastSqlError: text(row, "Last_SQL_Error"),
    ssl: text(row, "Source_SSL_Allowed") === "Yes",
    gtidMode: text(row, "Auto_Position"),
  }),
  changeSource: (options) => ({
    sql:
      "CHANGE REPLICATION SOURCE TO SOURCE_HOST=?, SOURCE_PORT=?, SOURCE_USER=?, SOURCE_PASSWORD=?, SOURCE_AUTO_POSITION=1, " +
      `SOURCE_CONNECT_RETRY=${Math.max(1, Math.round(options.connectRetrySeconds ?? 1))}, SOURCE_HEARTBEAT_PERIOD=${options.heartbeatSeconds ?? 1}, GET_SOURCE_PUBLIC_KEY=1` +
      (options.tlsCaFile ? ", SOURCE_SSL=1, SOURCE_SSL_CA=?, SOURCE_SSL_VERIFY_SERVER_CERT=1" : ", SOURCE_SSL=0"),
    values: [options.host, options.port, options.user, options.password, ...(options.tlsCaFile ? [options.tlsCaFile] : [])],
  }),
  startReplica: "START REPLICA",
  stopReplica: "STOP REPLICA",
  resetReplicaAll: "RESET REPLICA ALL",
  // Auto-positioning sends gtid_executed, which already holds the instance's own writes.
  rejoinPosition: [],
  waitForApplied: (gtid, timeoutSeconds) => ({ sql: "SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) = 0 AS done", values: [gtid, timeoutSeconds] }),
  // super_read_only also stops accounts with CONNECTION_ADMIN/SUPER; it implies read_only.
  setReadOnly: (on) => (on ? ["SET GLOBAL super_read_only = 1"] : ["SET GLOBAL super_read_only = 0", "SET GLOBAL read_only = 0"]),
  setSemiSyncSource: (on, timeoutMs) =>
    on
      ? [`SET GLOBAL rpl_semi_sync_source_timeout = ${Math.round(timeoutMs)}`, "SET GLOBAL rpl_semi_sync_source_wait_point = AFTER_SYNC", "SET GLOBAL rpl_semi_sync_source_enabled = 1"]
      : ["SET GLOBAL rpl_semi_sync_source_enabled = 0"],
  semiSyncReplicaOn: "SET GLOBAL rpl_semi_sync_replica_enabled = 1",
  tlsNotAfter: "SHOW GLOBAL STATUS LIKE 'Ssl_server_not_after'",
  reloadTls: "ALTER INSTANCE RELOAD TLS",
};

export function flavorSql(flavor: MysqlFlavor | undefined): FlavorSql {
  return flavor === "mariadb" ? mariadb : mysql;
}

/** Replication errors after which the replica cannot go on from its own data: it is re-seeded. */
export const RESEED_IO_ERRORS = new Set([
  1236, // ER_MASTER_FATAL_ERROR_READING_BINLOG: the source lacks (or never had) the GTIDs asked for
  13114, // MySQL 8.x reports that same source error as ER_SERVER_SOURCE_FATAL_ERROR_READING_BINLOG
]);
export const RESEED_SQL_ERRORS = new Set([
  1950, // MariaDB ER_GTID_STRICT_OUT_OF_ORDER: a local write took a sequence number the source uses
]);
