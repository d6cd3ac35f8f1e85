/**
 * The cluster's accounts: what a brand-new instance is initialized with (root, replication,
 * monitor), what the operator creates on the primary (the application user and database),
 * and the GTID position a freshly copied replica starts from.
 */
import { createHash } from "node:crypto";
import type { EffectiveSpec, MysqlFlavor } from "../../shared/api/index.js";
import type { InstanceSession } from "./client.js";
import type { MysqlCredentials } from "./resources/credentials-secret.js";
import { USERS } from "./names.js";
import { parseMariadbPosition } from "./gtid.js";

/** The mysql_native_password hash ("*" + SHA1(SHA1(password)) in hex): files hold hashes, never passwords. */
export function nativePasswordHash(password: string): string {
  const inner = createHash("sha1").update(password, "utf8").digest();
  return `*${createHash("sha1").update(inner).digest("hex").toUpperCase()}`;
}

function quote(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

export type InitialCredentials = Pick<MysqlCredentials, "root" | "replication" | "monitor">;

/**
 * SQL a brand-new instance runs once before it first serves (start.sh, MariaDB --bootstrap or
 * MySQL --init-file): anonymous users removed (they shadow remote logins, see FIELD-NOTES),
 * root by socket or password locally and by password from anywhere (the operator), the
 * replication and monitor accounts. Idempotent, so a crash halfway is simply run again.
 */
export function initializeSql(flavor: MysqlFlavor, credentials: InitialCredentials): string {
  if (flavor === "mariadb") {
    const root = quote(nativePasswordHash(credentials.root));
    return [
      // --bootstrap starts without grant tables; this loads them so account statements work.
      "FLUSH PRIVILEGES;",
      "DELETE FROM mysql.global_priv WHERE User = '';",
      "DELETE FROM mysql.proxies_priv WHERE User = '' OR Host NOT IN ('localhost');",
      `ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING ${root};`,
      `CREATE OR REPLACE USER 'root'@'%' IDENTIFIED BY PASSWORD ${root};`,
      "GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;",
      `CREATE OR REPLACE USER '${USERS.replication}'@'%' IDENTIFIED BY PASSWORD ${quote(nativePasswordHash(credentials.replication))};`,
      `GRANT REPLICATION SLAVE ON *.* TO '${USERS.replication}'@'%';`,
      `CREATE OR REPLACE USER '${USERS.monitor}'@'%' IDENTIFIED BY PASSWORD ${quote(nativePasswordHash(credentials.monitor))};`,
      `GRANT PROCESS, BINLOG MONITOR, SLAVE MONITOR ON *.* TO '${USERS.monitor}'@'%';`,
      "FLUSH PRIVILEGES;",
      "",
    ].join("\n");
  }
  // MySQL 8.4: caching_sha2_password hashes cannot be precomputed simply; the file lives in
  // the state folder (0600) only until the first start has run it.
  return [
    "SET sql_log_bin = 0;",
    "DELETE FROM mysql.user WHERE User = '';",
    `ALTER USER 'root'@'localhost' IDENTIFIED BY ${quote(credentials.root)};`,
    `CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY ${quote(credentials.root)};`,
    "GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;",
    `CREATE USER IF NOT EXISTS '${USERS.replication}'@'%' IDENTIFIED BY ${quote(credentials.replication)};`,
    `GRANT REPLICATION SLAVE ON *.* TO '${USERS.replication}'@'%';`,
    `CREATE USER IF NOT EXISTS '${USERS.monitor}'@'%' IDENTIFIED BY ${quote(credentials.monitor)};`,
    `GRANT PROCESS, REPLICATION CLIENT ON *.* TO '${USERS.monitor}'@'%';`,
    "",
  ].join("\n");
}

/**
 * SQL that makes a MariaDB replica copied with mariabackup start replicating where the copy
 * ends. gtid_slave_pos lives in mysql.gtid_slave_pos; writing the table in --bootstrap mode
 * (which has no binary log) sets it without creating a local GTID.
 */
export function seedSql(gtid: string): string {
  const position = parseMariadbPosition(gtid);
  const rows = [...position.values()].map((item, index) => `(${item.domain}, ${index + 1}, ${item.server}, ${item.seq})`);
  const lines = ["DELETE FROM mysql.gtid_slave_pos;"];
  if (rows.length > 0) lines.push(`INSERT INTO mysql.gtid_slave_pos (domain_id, sub_id, server_id, seq_no) VALUES ${rows.join(", ")};`);
  return `${lines.join("\n")}\n`;
}

/** The GTID position in mariabackup's xtrabackup_binlog_info ("file<TAB>offset<TAB>gtid"). */
export function gtidFromBinlogInfo(text: string): string {
  const [line] = text.split("\n").filter((item) => item.trim() !== "");
  if (!line) return "";
  const fields = line.trim().split(/\s+/);
  return fields[2] ?? "";
}

function identifier(name: string): string {
  return `\`${name.replace(/`/g, "``")}\``;
}

/**
 * Makes sure spec.database and the application user exist on the primary (they replicate to
 * the replicas). Reads first, so a healthy cluster writes nothing and makes no GTIDs.
 */
export async function ensureApplicationAccount(session: InstanceSession, spec: Pick<EffectiveSpec, "database" | "username">, password: string): Promise<string[]> {
  const done: string[] = [];
  const database = spec.database;
  if (database) {
    const rows = await session.query({ sql: "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", values: [database] });
    if (rows.length === 0) {
      await session.query(`CREATE DATABASE IF NOT EXISTS ${identifier(database)}`);
      done.push(`created database ${database}`);
    }
  }
  const users = await session.query({ sql: "SELECT User FROM mysql.user WHERE User = ? AND Host = '%'", values: [spec.username] });
  if (users.length === 0) {
    await session.query({ sql: "CREATE USER IF NOT EXISTS ?@'%' IDENTIFIED BY ?", values: [spec.username, password] });
    done.push(`created user ${spec.username}`);
  }
  if (database && done.length > 0) {
    await session.query({ sql: `GRANT ALL PRIVILEGES ON ${identifier(database)}.* TO ?@'%'`, values: [spec.username] });
  }
  return done;
}
