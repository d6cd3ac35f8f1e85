import { describe, expect, it } from "vitest";
import { BINLOG_MAGIC, BinlogScanner, mergeGtidLists, parseGtidList } from "./binlog-scanner.js";

/** Builds a binlog the way MariaDB lays it out: magic, then events with 19-byte headers and CRC32 trailers. */
function event(type: number, timestamp: number, server: number, body: Buffer): Buffer {
  const header = Buffer.alloc(19);
  header.writeUInt32LE(timestamp, 0);
  header[4] = type;
  header.writeUInt32LE(server, 5);
  header.writeUInt32LE(19 + body.length + 4, 9);
  return Buffer.concat([header, body, Buffer.alloc(4)]);
}

function gtidEvent(timestamp: number, server: number, domain: number, seq: number): Buffer {
  const body = Buffer.alloc(19);
  body.writeBigUInt64LE(BigInt(seq), 0);
  body.writeUInt32LE(domain, 8);
  return event(162, timestamp, server, body);
}

function gtidList(entries: [number, number, number][]): Buffer {
  const body = Buffer.alloc(4 + 16 * entries.length);
  body.writeUInt32LE(entries.length, 0);
  entries.forEach(([domain, server, seq], index) => {
    body.writeUInt32LE(domain, 4 + 16 * index);
    body.writeUInt32LE(server, 8 + 16 * index);
    body.writeBigUInt64LE(BigInt(seq), 12 + 16 * index);
  });
  return event(163, 1000, 1, body);
}

const file = Buffer.concat([
  BINLOG_MAGIC,
  event(15, 1000, 1, Buffer.alloc(100, 7)),
  gtidList([[0, 1, 41]]),
  gtidEvent(1001, 1, 0, 42),
  event(30, 1001, 1, Buffer.alloc(5000, 1)),
  gtidEvent(1005, 2, 0, 43),
  event(30, 1005, 2, Buffer.alloc(10, 1)),
  gtidEvent(1009, 2, 5, 7),
]);

describe("BinlogScanner", () => {
  it.each([1, 3, 19, 64, 4096, file.length])("reads times and GTIDs whatever the chunking (%i-byte chunks)", (size) => {
    const scanner = new BinlogScanner();
    for (let at = 0; at < file.length; at += size) scanner.update(file.subarray(at, at + size));
    const result = scanner.result();
    expect(result.firstEventAt?.toISOString()).toBe(new Date(1001_000).toISOString());
    expect(result.lastEventAt?.toISOString()).toBe(new Date(1009_000).toISOString());
    expect(result.startPosition).toBe("0-1-41");
    expect(result.endPosition).toBe("0-2-43,5-2-7");
    expect(scanner.createdAt?.getTime()).toBe(1000_000);
    expect(scanner.transactions).toBe(3);
  });

  it("refuses something that is not a binlog", () => {
    expect(() => new BinlogScanner().update(Buffer.from("SELECT 1"))).toThrow(/bad magic/);
  });

  it("reports no transaction times for a file without transactions", () => {
    const scanner = new BinlogScanner();
    scanner.update(Buffer.concat([BINLOG_MAGIC, event(15, 1000, 1, Buffer.alloc(100)), gtidList([[0, 1, 9]])]));
    expect(scanner.result()).toMatchObject({ firstEventAt: undefined, lastEventAt: undefined, startPosition: "0-1-9", endPosition: "0-1-9" });
  });
});

describe("GTID lists", () => {
  it("merge to the highest sequence per domain", () => {
    expect(mergeGtidLists("0-1-5,1-1-9", "0-2-7")).toBe("0-2-7,1-1-9");
    expect(mergeGtidLists("", "0-1-3")).toBe("0-1-3");
    expect(mergeGtidLists(undefined, undefined)).toBe("");
  });
  it("refuse text that is not a GTID", () => {
    expect(() => parseGtidList("abc")).toThrow(/not a MariaDB GTID/);
  });
});
