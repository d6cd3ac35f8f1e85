import { describe, expect, it } from "vitest";
import { formatGtid, gtidContains, gtidEqual, gtidMissingFrom, gtidUnion, isEmptyGtid, parseGtid, parseMysqlGtidSet, formatMysqlGtidSet } from "./gtid.js";

const maria = (text: string) => parseGtid("mariadb", text);
const mysql = (text: string) => parseGtid("mysql", text);
const A = "73f86016-978b-11ee-ade5-8d2a2a562feb";
const B = "8e9d1c3a-978b-11ee-b1c2-0242ac110003";

describe("MariaDB positions", () => {
  it.each([
    ["0-1-100", "0-1-99", true],
    ["0-1-99", "0-1-100", false],
    ["0-2-150", "0-1-100", true],
    // Same sequence number written by two servers: the histories forked there.
    ["0-2-891", "0-1-891", false],
    ["0-1-5,1-3-7", "1-3-7", true],
    ["0-1-5", "0-1-5,1-3-7", false],
    ["", "", true],
    ["0-1-1", "", true],
  ])("%s holds everything %s holds: %s", (a, b, expected) => {
    expect(gtidContains(maria(a), maria(b))).toBe(expected);
  });
  it("unions per domain and formats sorted by domain", () => {
    expect(formatGtid(gtidUnion(maria("1-3-7,0-1-5"), maria("0-2-9")))).toBe("0-2-9,1-3-7");
    expect(formatGtid(maria(" 0-1-5 , 0-1-3 "))).toBe("0-1-5");
  });
  it("names what one position has that another lacks (the errant-transaction check)", () => {
    expect(formatGtid(gtidMissingFrom(maria("0-3-12"), maria("0-1-11")))).toBe("0-3-12");
    expect(isEmptyGtid(gtidMissingFrom(maria("0-1-11"), maria("0-1-11")))).toBe(true);
    expect(gtidEqual(maria("0-1-11"), maria("0-1-11"))).toBe(true);
  });
  it("refuses text that is not a GTID", () => {
    expect(() => maria("0-1")).toThrow(/not a MariaDB GTID/);
  });
});

describe("MySQL GTID sets", () => {
  it("parses intervals, merges adjacent ones, and reads 8.4 tags", () => {
    expect(formatMysqlGtidSet(parseMysqlGtidSet(`${A}:1-5:6:8-9,\n${B}:1-2`))).toBe(`${A}:1-6:8-9,${B}:1-2`);
    expect(formatMysqlGtidSet(parseMysqlGtidSet(`${A}:1-3:blue:1-2`))).toBe(`${A}:1-3,${A}:blue:1-2`);
  });
  it.each([
    [`${A}:1-10`, `${A}:1-9`, true],
    [`${A}:1-9`, `${A}:1-10`, false],
    [`${A}:1-10,${B}:1`, `${B}:1`, true],
    [`${A}:1-10`, `${A}:1-3:5-10`, true],
    [`${A}:1-3:5-10`, `${A}:1-10`, false],
    ["", "", true],
  ])("%s contains %s: %s", (a, b, expected) => {
    expect(gtidContains(mysql(a), mysql(b))).toBe(expected);
  });
  it("subtracts exactly (errant transactions are the executed set minus the primary's)", () => {
    expect(formatGtid(gtidMissingFrom(mysql(`${A}:1-10,${B}:1-2`), mysql(`${A}:1-4:6-10`)))).toBe(`${A}:5,${B}:1-2`);
    expect(formatGtid(gtidUnion(mysql(`${A}:1-4`), mysql(`${A}:5-7`)))).toBe(`${A}:1-7`);
  });
  it("never compares the two flavours", () => {
    expect(() => gtidContains(maria("0-1-1"), mysql(`${A}:1`))).toThrow(/cannot compare/);
  });
});
