import { describe, expect, it } from "vitest";
import { buildDumpCommand, buildLoadCommand, describePosition, parseDumpPosition, parseServerVersion } from "./dump-command.js";
import { SOURCE_GTID_LINE, alreadyApplied, stopDatetime } from "./binlog-replay.js";

const endpoint = { host: "orders-primary.shop.svc", port: 3306, username: "root", password: "secret" };

describe("dump commands per flavour", () => {
  it("mariadb: one snapshot, GTID and binlog position as comments, every schema but mysql and sys", () => {
    const { command, args } = buildDumpCommand("mariadb", endpoint, []);
    expect(command).toBe("mariadb-dump");
    expect(args).toEqual(expect.arrayContaining(["--single-transaction", "--gtid", "--master-data=2", "--all-databases", "--ignore-database=mysql", "--ignore-database=sys", "--routines", "--events", "--triggers", "--hex-blob", "--quick"]));
    expect(args).toContain("--host=orders-primary.shop.svc");
  });

  it("mysql 8.4: --source-data (not --master-data), GTIDs commented, schemas listed", () => {
    const { command, args } = buildDumpCommand("mysql", endpoint, ["orders", "audit"]);
    expect(command).toBe("mysqldump");
    expect(args).toEqual(expect.arrayContaining(["--single-transaction", "--source-data=2", "--set-gtid-purged=COMMENTED", "--routines", "--events", "--triggers"]));
    expect(args).not.toContain("--master-data=2");
    expect(args).not.toContain("--gtid");
    expect(args.slice(-3)).toEqual(["--databases", "orders", "audit"]);
    expect(() => buildDumpCommand("mysql", endpoint, [])).toThrow(/nothing to back up/);
  });

  it("verifies the server's certificate and name with the cluster's CA over TCP, not over the socket", () => {
    const tls = { ...endpoint, caFile: "/tmp/steward-tls-x/ca.crt" };
    expect(buildDumpCommand("mariadb", tls, []).args).toEqual(expect.arrayContaining(["--ssl-ca=/tmp/steward-tls-x/ca.crt", "--ssl-verify-server-cert"]));
    expect(buildLoadCommand("mysql", tls).args).toEqual(expect.arrayContaining(["--ssl-ca=/tmp/steward-tls-x/ca.crt", "--ssl-mode=VERIFY_IDENTITY"]));
    expect(buildLoadCommand("mariadb", { ...tls, socket: "/run/mysqld/mysqld.sock" }).args.join(" ")).not.toContain("ssl");
  });

  it("never puts the password on the command line", () => {
    for (const flavor of ["mariadb", "mysql"] as const) {
      expect(buildDumpCommand(flavor, endpoint, ["db"]).args.join(" ")).not.toContain("secret");
      expect(buildLoadCommand(flavor, endpoint).args.join(" ")).not.toContain("secret");
    }
    expect(buildLoadCommand("mariadb", { ...endpoint, socket: "/run/mysqld/mysqld.sock" }).args).toContain("--socket=/run/mysqld/mysqld.sock");
  });
});

describe("positions in dumps", () => {
  it("reads mariadb-dump's: coordinates at the top, the deferred GTID at the end (as 10.11.19 writes them)", () => {
    const head = "-- CHANGE MASTER TO MASTER_USE_GTID=slave_pos;\n\n-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000001', MASTER_LOG_POS=856;\n";
    const tail = "-- Preferably use GTID to start replication from GTID position:\n\n-- SET GLOBAL gtid_slave_pos='0-1-3';\n";
    const position = parseDumpPosition(head, tail);
    expect(position).toEqual({ binlogFile: "mysql-bin.000001", binlogOffset: 856, gtidSet: "0-1-3" });
    expect(describePosition(position)).toBe("GTID 0-1-3 at mysql-bin.000001:856");
  });

  it("reads mysqldump 8.4's (format as documented for --source-data=2 --set-gtid-purged=COMMENTED; not run here)", () => {
    const head = [
      "-- Position to start replication or point-in-time recovery from",
      "",
      "-- CHANGE REPLICATION SOURCE TO SOURCE_LOG_FILE='binlog.000002', SOURCE_LOG_POS=157;",
      "",
      "-- GTID state at the beginning of the backup ",
      "",
      "/* SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5'; */",
    ].join("\n");
    expect(parseDumpPosition(head, "")).toEqual({ binlogFile: "binlog.000002", binlogOffset: 157, gtidSet: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5" });
  });

  it("tells flavours apart by the version string", () => {
    expect(parseServerVersion("10.11.19-MariaDB-0+deb12u1-log")).toEqual({ flavor: "mariadb", version: "10.11.19" });
    expect(parseServerVersion("8.4.3")).toEqual({ flavor: "mysql", version: "8.4.3" });
  });
});

describe("binlog replay", () => {
  it("stops after the whole second of the point in time (binlog timestamps have one-second resolution)", () => {
    expect(stopDatetime(new Date("2026-11-25T10:00:00.500Z"))).toBe("2026-11-25 10:00:01");
    expect(stopDatetime(new Date("2026-11-25T10:00:00.000Z"))).toBe("2026-11-25 10:00:01");
  });

  it("drops exactly the lines that would make the target reuse the source's GTIDs", () => {
    expect(SOURCE_GTID_LINE.test("/*M!100001 SET @@session.gtid_seq_no=5*//*!*/;")).toBe(true);
    expect(SOURCE_GTID_LINE.test("/*!100001 SET @@session.gtid_domain_id=0*//*!*/;")).toBe(true);
    expect(SOURCE_GTID_LINE.test("/*!100001 SET @@session.server_id=1*//*!*/;")).toBe(true);
    expect(SOURCE_GTID_LINE.test("/*!100001 SET @@SESSION.GTID_DOMAIN_ID=@@GLOBAL.GTID_DOMAIN_ID */;")).toBe(false);
    expect(SOURCE_GTID_LINE.test("INSERT INTO t VALUES ('SET @@session.gtid_seq_no=5')")).toBe(false);
  });

  it("skips segments whose every GTID the target already has", () => {
    expect(alreadyApplied("0-1-10", "0-1-9")).toBe(true);
    expect(alreadyApplied("0-1-10", "0-2-11")).toBe(false);
    expect(alreadyApplied("0-1-10", "0-1-10,1-1-1")).toBe(false);
    expect(alreadyApplied("0-1-10", undefined)).toBe(false);
  });
});
