import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { RdbStream, parseRdbHeader } from "./rdb-stream.js";
import { consistentAtFromHeader, positionFromHeader } from "./redis-backup.js";

// Recorded with `redis-cli --rdb <file>` from redis-server 7.0.15 (a replica, 50 keys).
const snapshot = readFileSync(new URL("../testdata/snapshot.rdb", import.meta.url));

async function through(chunks: Buffer[]): Promise<{ output: Buffer; stream: RdbStream }> {
  const stream = new RdbStream();
  const parts: Buffer[] = [];
  Readable.from(chunks).pipe(stream);
  for await (const part of stream) parts.push(part as Buffer);
  return { output: Buffer.concat(parts), stream };
}

describe("parseRdbHeader", () => {
  it("reads the version and auxiliary fields of a real snapshot", () => {
    const header = parseRdbHeader(snapshot)!;
    expect(header.rdbVersion).toBe(10);
    expect(header.aux["redis-ver"]).toBe("7.0.15");
    expect(header.aux["repl-id"]).toMatch(/^[0-9a-f]{40}$/);
    expect(Number(header.aux["repl-offset"])).toBeGreaterThan(0);
    expect(Number(header.aux.ctime)).toBeGreaterThan(1_700_000_000);
    expect(positionFromHeader(header).summary).toMatch(/^replication offset \d+ of [0-9a-f]{40}$/);
    expect(consistentAtFromHeader(header)!.getTime()).toBe(Number(header.aux.ctime) * 1000);
  });

  it("asks for more bytes until the header is complete, and refuses what is not an RDB", () => {
    expect(parseRdbHeader(snapshot.subarray(0, 40))).toBeUndefined();
    expect(() => parseRdbHeader(Buffer.from("*1\r\n$4\r\nPING\r\n"))).toThrow(/not an RDB/);
  });
});

describe("RdbStream", () => {
  it("passes a snapshot through unchanged, even one byte at a time", async () => {
    const bytes = [...snapshot].map((byte) => Buffer.from([byte]));
    const { output, stream } = await through(bytes);
    expect(output.equals(snapshot)).toBe(true);
    expect(stream.header?.aux["redis-ver"]).toBe("7.0.15");
    expect(stream.bytes).toBe(snapshot.length);
  });

  it("drops the 40-character EOF mark redis-cli --rdb - leaves after a diskless transfer", async () => {
    const mark = Buffer.from("a641bfc56a1612147d05a41f6d2fa83c09f263c3");
    const { output } = await through([snapshot.subarray(0, 300), Buffer.concat([snapshot.subarray(300), mark.subarray(0, 10)]), mark.subarray(10)]);
    expect(output.equals(snapshot)).toBe(true);
  });

  it("fails a truncated snapshot instead of ending it", async () => {
    await expect(through([snapshot.subarray(0, snapshot.length - 20)])).rejects.toThrow(/truncated/);
  });
});
