import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DumpSplitter, type DumpPiece } from "./dump-splitter.js";

/** A real `mariadb-dump` (10.11) of a schema with a trigger and a procedure whose bodies hold INSERT lines, several INSERTs, odd values. */
const DUMP = readFileSync(join(import.meta.dirname, "..", "testdata", "mariadb-dump-shop.sql"));

function split(dump: Buffer, chunkSize: number, holdLimit?: number): DumpPiece[] {
  const splitter = new DumpSplitter(holdLimit);
  const pieces: DumpPiece[] = [];
  for (let at = 0; at < dump.length; at += chunkSize) pieces.push(...splitter.push(dump.subarray(at, at + chunkSize)));
  pieces.push(...splitter.end());
  return pieces;
}

const bytesOf = (piece: DumpPiece) => (piece.to === "rows" ? Buffer.concat(piece.parts) : piece.bytes);
const text = (pieces: DumpPiece[], to: DumpPiece["to"]) => pieces.filter((piece) => piece.to === to).map((piece) => bytesOf(piece).toString("utf8"));
const withoutLocks = (dump: Buffer) =>
  dump
    .toString("utf8")
    .split("\n")
    .filter((line) => !/^(LOCK TABLES `.*` WRITE|UNLOCK TABLES);$/.test(line))
    .join("\n");

describe("DumpSplitter on a real mariadb-dump", () => {
  it.each([1, 7, 100, 4096, 1 << 20])("hands on every byte once, in order, whatever the chunk size (%i), minus the table locks", (chunkSize) => {
    const pieces = split(DUMP, chunkSize);
    expect(Buffer.concat(pieces.map(bytesOf)).toString("utf8")).toBe(withoutLocks(DUMP));
  });

  it.each([1, 7, 4096])("takes each table's INSERTs as rows, whole, and nothing inside DELIMITER blocks (chunks of %i)", (chunkSize) => {
    const rows = text(split(DUMP, chunkSize), "rows");
    // mariadb-dump starts a table's INSERT with this line and puts one row per line after it.
    expect(rows).toHaveLength(DUMP.toString("utf8").split("\n").filter((line) => /^INSERT INTO `[^`]+` VALUES$/.test(line)).length);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const statement of rows) {
      expect(statement).toMatch(/^INSERT INTO `(items|items_log)` VALUES/);
      expect(statement.endsWith(");\n")).toBe(true);
    }
    expect(rows.join("")).toContain("(1,'é ü 中文 😀',NULL,NULL)");
    expect(rows.join("")).toContain("'INSERT INTO `x` VALUES (1);'");
    // The trigger's and the procedure's bodies are structure, for the one client.
    const client = text(split(DUMP, chunkSize), "client").join("");
    expect(client).toContain("INSERT INTO `items_log` VALUES (NEW.id);\nEND");
    expect(client).toContain("INSERT INTO `items_log` VALUES (-1);\nEND");
  });

  it("passes the dump's session settings on, including those around routines", () => {
    const session = text(split(DUMP, 64), "session").map((line) => line.trim());
    expect(session).toEqual(expect.arrayContaining(["/*!40101 SET NAMES utf8mb4 */;", "/*!40103 SET TIME_ZONE='+00:00' */;", "USE `shop`;", "/*!50003 SET sql_mode              = @saved_sql_mode */ ;"]));
    expect(session.some((line) => line.includes("FOREIGN_KEY_CHECKS=0"))).toBe(true);
    expect(session.some((line) => line.includes("SQL_MODE='NO_AUTO_VALUE_ON_ZERO'"))).toBe(true);
  });

  it("passes an INSERT larger than it may hold through to the client as it streams", () => {
    const pieces = split(DUMP, 50, 300);
    expect(Buffer.concat(pieces.map(bytesOf)).toString("utf8")).toBe(withoutLocks(DUMP));
    expect(text(pieces, "client-rows").join("")).toMatch(/^INSERT INTO `items` VALUES\n\(0,/);
    expect(text(pieces, "rows")).toHaveLength(0);
  });

  it("takes mysqldump's one-line extended INSERTs, and refuses a dump cut inside one", () => {
    const dump = Buffer.from("USE `db`;\nINSERT INTO `t` VALUES (1,'a;'),(2,'b\\n;');\nINSERT INTO `t` VALUES (3,'c');\n");
    expect(text(split(dump, 5), "rows")).toEqual(["INSERT INTO `t` VALUES (1,'a;'),(2,'b\\n;');\n", "INSERT INTO `t` VALUES (3,'c');\n"]);
    const cut = new DumpSplitter();
    cut.push(DUMP.subarray(0, DUMP.indexOf("(30,")));
    expect(() => cut.end()).toThrow(/truncated/);
  });
});
