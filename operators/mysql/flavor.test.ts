/**
 * Flavour SQL on recorded outputs. The MariaDB recordings are real (MariaDB 10.11.19 on this
 * machine, see replication.test.ts for the live checks). The MySQL 8.4 recordings are written
 * from the MySQL 8.4 reference manual's SHOW REPLICA STATUS columns and formats: the mysql
 * flavour is NOT exercised end to end here (no MySQL 8.4 server can run on these machines).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RESEED_IO_ERRORS, flavorSql } from "./flavor.js";
import { cloneStatements } from "./clone.js";

/** A `\G` listing as mysql2 returns the row: column -> value, "NULL" as null, continuation lines joined. */
function recordedRow(file: string): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  let last: string | undefined;
  for (const line of readFileSync(new URL(`./testdata/${file}`, import.meta.url), "utf8").split("\n")) {
    const match = /^\s*([A-Za-z_]+): ?(.*)$/.exec(line);
    if (match) {
      last = match[1]!;
      row[last] = match[2] === "NULL" ? null : match[2]!;
    } else if (last && line.trim()) row[last] = `${row[last] as string}\n${line}`;
  }
  return row;
}

describe("MariaDB 10.11 (recorded on this machine)", () => {
  const sql = flavorSql("mariadb");
  it("reads a streaming replica from SHOW SLAVE STATUS", () => {
    expect(sql.parseReplicaStatus(recordedRow("mariadb-show-slave-status.txt"))).toEqual({
      sourceHost: "127.0.20.1",
      sourcePort: 3306,
      ioRunning: "Yes",
      sqlRunning: true,
      received: "0-1-890",
      lagSeconds: 0,
      lastIoErrno: 0,
      lastIoError: "",
      lastSqlErrno: 0,
      lastSqlError: "",
      ssl: false,
      gtidMode: "Slave_Pos",
    });
  });
  it("reads a diverged replica (error 1236) as one to re-seed", () => {
    const status = sql.parseReplicaStatus(recordedRow("mariadb-show-slave-status-diverged.txt"));
    expect(status).toMatchObject({ ioRunning: "No", lagSeconds: null, lastIoErrno: 1236, received: "0-2-891" });
    expect(RESEED_IO_ERRORS.has(status.lastIoErrno)).toBe(true);
  });
  it("speaks MASTER_USE_GTID, MASTER_GTID_WAIT and rpl_semi_sync_master_*", () => {
    const change = sql.changeSource({ host: "db-0.db-headless.shop.svc.cluster.local", port: 3306, user: "repl", password: "secret" });
    expect(change.sql).toBe(
      "CHANGE MASTER TO MASTER_HOST=?, MASTER_PORT=?, MASTER_USER=?, MASTER_PASSWORD=?, MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1, MASTER_SSL=0",
    );
    expect(change.values).toEqual(["db-0.db-headless.shop.svc.cluster.local", 3306, "repl", "secret"]);
    const overTls = sql.changeSource({ host: "db-0.db-headless.shop.svc.cluster.local", port: 3306, user: "repl", password: "secret", tlsCaFile: "/etc/steward/tls/ca.crt" });
    expect(overTls.sql).toMatch(/, MASTER_SSL=1, MASTER_SSL_CA=\?, MASTER_SSL_VERIFY_SERVER_CERT=1$/);
    expect(overTls.values).toEqual(["db-0.db-headless.shop.svc.cluster.local", 3306, "repl", "secret", "/etc/steward/tls/ca.crt"]);
    expect([sql.tlsNotAfter, sql.reloadTls]).toEqual(["SHOW GLOBAL STATUS LIKE 'Ssl_server_not_after'", "FLUSH LOCAL SSL"]);
    expect(sql.waitForApplied("0-1-5", 30)).toEqual({ sql: "SELECT MASTER_GTID_WAIT(?, ?) = 0 AS done", values: ["0-1-5", 30] });
    expect(sql.setSemiSyncSource(true, 1000)).toContain("SET GLOBAL rpl_semi_sync_master_enabled = 1");
    expect(sql.setReadOnly(true)).toEqual(["SET GLOBAL read_only = 1"]);
    expect([sql.startReplica, sql.stopReplica, sql.resetReplicaAll]).toEqual(["START SLAVE", "STOP SLAVE", "RESET SLAVE ALL"]);
    expect(sql.rejoinPosition).toEqual(["SET GLOBAL gtid_slave_pos = @@gtid_current_pos"]);
  });
  it("reads server variables", () => {
    expect(sql.parseVariables({ server_id: "2", version: "10.11.19-MariaDB-0+deb12u1-log", read_only: 1, binlog: "0-2-891", replicated: "0-1-885", semi_sync_source: 0 })).toEqual({
      serverId: 2,
      version: "10.11.19-MariaDB-0+deb12u1-log",
      readOnly: true,
      binlog: "0-2-891",
      replicated: "0-1-885",
      semiSyncSource: false,
    });
  });
});

describe("MySQL 8.4 (recordings from the reference manual's formats; not exercised end to end here)", () => {
  const sql = flavorSql("mysql");
  it("reads SHOW REPLICA STATUS with Replica_*/Source_* columns and a multi-line Executed_Gtid_Set", () => {
    const row = recordedRow("mysql84-show-replica-status.txt");
    expect(sql.parseReplicaStatus(row)).toEqual({
      sourceHost: "db-0.db-headless.shop.svc.cluster.local",
      sourcePort: 3306,
      ioRunning: "Yes",
      sqlRunning: true,
      received: "73f86016-978b-11ee-ade5-8d2a2a562feb:4-9",
      lagSeconds: 2,
      lastIoErrno: 0,
      lastIoError: "",
      lastSqlErrno: 0,
      lastSqlError: "",
      ssl: false,
      gtidMode: "1",
    });
    expect(row.Executed_Gtid_Set).toBe("73f86016-978b-11ee-ade5-8d2a2a562feb:1-8,\n8e9d1c3a-978b-11ee-b1c2-0242ac110003:1-2");
  });
  it("reads a replica whose source purged the binary logs it needs (13114 wrapping 1236) as one to re-seed", () => {
    const status = sql.parseReplicaStatus(recordedRow("mysql84-show-replica-status-error.txt"));
    expect(status).toMatchObject({ ioRunning: "No", lastIoErrno: 13114, lagSeconds: null });
    expect(RESEED_IO_ERRORS.has(status.lastIoErrno)).toBe(true);
  });
  it("speaks CHANGE REPLICATION SOURCE ... SOURCE_AUTO_POSITION=1, WAIT_FOR_EXECUTED_GTID_SET and rpl_semi_sync_source_*", () => {
    const change = sql.changeSource({ host: "db-1.db-headless.shop.svc.cluster.local", port: 3306, user: "repl", password: "secret" });
    expect(change.sql).toBe(
      "CHANGE REPLICATION SOURCE TO SOURCE_HOST=?, SOURCE_PORT=?, SOURCE_USER=?, SOURCE_PASSWORD=?, SOURCE_AUTO_POSITION=1, SOURCE_CONNECT_RETRY=1, SOURCE_HEARTBEAT_PERIOD=1, GET_SOURCE_PUBLIC_KEY=1, SOURCE_SSL=0",
    );
    expect(sql.changeSource({ host: "h", port: 3306, user: "repl", password: "p", tlsCaFile: "/ca" }).sql).toMatch(/, SOURCE_SSL=1, SOURCE_SSL_CA=\?, SOURCE_SSL_VERIFY_SERVER_CERT=1$/);
    expect(sql.waitForApplied("73f86016-978b-11ee-ade5-8d2a2a562feb:1-9", 30).sql).toBe("SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) = 0 AS done");
    expect(sql.setSemiSyncSource(true, 5000)).toEqual([
      "SET GLOBAL rpl_semi_sync_source_timeout = 5000",
      "SET GLOBAL rpl_semi_sync_source_wait_point = AFTER_SYNC",
      "SET GLOBAL rpl_semi_sync_source_enabled = 1",
    ]);
    expect(sql.semiSyncReplicaOn).toBe("SET GLOBAL rpl_semi_sync_replica_enabled = 1");
    expect(sql.setReadOnly(true)).toEqual(["SET GLOBAL super_read_only = 1"]);
    expect(sql.setReadOnly(false)).toEqual(["SET GLOBAL super_read_only = 0", "SET GLOBAL read_only = 0"]);
    expect([sql.startReplica, sql.stopReplica, sql.resetReplicaAll, sql.replicaStatus]).toEqual(["START REPLICA", "STOP REPLICA", "RESET REPLICA ALL", "SHOW REPLICA STATUS"]);
    expect(sql.rejoinPosition).toEqual([]);
  });
  it("reads super_read_only as read-only and gtid_executed as the binary log's set", () => {
    expect(
      sql.parseVariables({ server_id: "1", server_uuid: "73f86016-978b-11ee-ade5-8d2a2a562feb", version: "8.4.3", super_read_only: 1, read_only: 1, binlog: "73f86016-978b-11ee-ade5-8d2a2a562feb:1-9", semi_sync_source: 1 }),
    ).toEqual({ serverId: 1, serverUuid: "73f86016-978b-11ee-ade5-8d2a2a562feb", version: "8.4.3", readOnly: true, binlog: "73f86016-978b-11ee-ade5-8d2a2a562feb:1-9", semiSyncSource: true });
  });
  it("clones an empty replica from the primary with the clone plugin", () => {
    expect(cloneStatements({ host: "db-0.db-headless.shop.svc.cluster.local", port: 3306, password: "pw" })).toEqual([
      { sql: "SET GLOBAL clone_valid_donor_list = ?", values: ["db-0.db-headless.shop.svc.cluster.local:3306"] },
      { sql: "CLONE INSTANCE FROM ?@?:? IDENTIFIED BY ?", values: ["root", "db-0.db-headless.shop.svc.cluster.local", 3306, "pw"] },
    ]);
  });
});
