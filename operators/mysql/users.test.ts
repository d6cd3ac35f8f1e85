import { describe, expect, it } from "vitest";
import { gtidFromBinlogInfo, initializeSql, nativePasswordHash } from "./users.js";

describe("accounts", () => {
  it("hashes passwords as mysql_native_password does", () => {
    // SELECT PASSWORD('pw') on MariaDB 10.11 (seen in FIELD-NOTES' setup): *D821809F681A40A6E379B50D0463EFAE20BDD122
    expect(nativePasswordHash("pw")).toBe("*D821809F681A40A6E379B50D0463EFAE20BDD122");
  });
  it("initializes MariaDB without anonymous users and with hashes only", () => {
    const sql = initializeSql("mariadb", { root: "rootpw", replication: "replpw", monitor: "monpw" });
    expect(sql).toContain("DELETE FROM mysql.global_priv WHERE User = '';");
    expect(sql).toContain("IDENTIFIED VIA unix_socket OR mysql_native_password USING");
    expect(sql).toContain("GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%';");
    expect(sql).not.toMatch(/rootpw|replpw|monpw/);
  });
  it("initializes MySQL 8.4 without binary logging the account setup (not exercised end to end here)", () => {
    const sql = initializeSql("mysql", { root: "rootpw", replication: "replpw", monitor: "monpw" });
    expect(sql.split("\n")[0]).toBe("SET sql_log_bin = 0;");
    expect(sql).toContain("CREATE USER IF NOT EXISTS 'repl'@'%' IDENTIFIED BY 'replpw';");
  });
  it("reads the copy's GTID position from mariabackup's binlog info", () => {
    expect(gtidFromBinlogInfo("mysql-bin.000002\t812\t0-1-80,1-6-3\n")).toBe("0-1-80,1-6-3");
    expect(gtidFromBinlogInfo("")).toBe("");
  });
});
