import { describe, expect, it } from "vitest";
import { findMissingSegments, gapAt, pointInTimeGaps, type ArchiveHole } from "./archive-gaps.js";

// Hand-written listings in the shape the archiver stores (logs/<pod>/<binlog name>.json), with
// MariaDB's binlog names; a stream per server, as after a failover.
const listed = (stream: string, ...names: string[]) => names.map((segment) => ({ stream, segment }));

describe("findMissingSegments", () => {
  it("finds none in an unbroken sequence, across streams and past the counter's padding", () => {
    expect(findMissingSegments([...listed("orders-0", "mysql-bin.000001", "mysql-bin.000002", "mysql-bin.000003"), ...listed("orders-1", "mysql-bin.000007", "mysql-bin.000008")])).toEqual([]);
    expect(findMissingSegments(listed("orders-0", "mysql-bin.999999", "mysql-bin.1000000"))).toEqual([]);
  });

  it("does not count where a stream starts (a promoted replica archives from its first binlog)", () => {
    expect(findMissingSegments(listed("orders-1", "mysql-bin.000005", "mysql-bin.000006"))).toEqual([]);
  });

  it("finds binlogs purged before they were uploaded, per stream, whatever order S3 lists them in", () => {
    expect(findMissingSegments([...listed("orders-0", "mysql-bin.000004", "mysql-bin.000001", "mysql-bin.000003", "mysql-bin.000002", "mysql-bin.000007"), ...listed("orders-1", "mysql-bin.000001", "mysql-bin.000003")])).toEqual([
      { stream: "orders-0", after: "mysql-bin.000004", before: "mysql-bin.000007", count: 2 },
      { stream: "orders-1", after: "mysql-bin.000001", before: "mysql-bin.000003", count: 1 },
    ]);
    // mysql-bin.000003 is missing between these two, though a plain string sort puts them apart.
    expect(findMissingSegments(listed("orders-0", "mysql-bin.000002", "mysql-bin.000004"))).toHaveLength(1);
  });

  it("does not judge names without a trailing counter, nor two different stems", () => {
    expect(findMissingSegments(listed("s", "oplog-a", "oplog-c", "relay.000001", "mysql-bin.000009"))).toEqual([]);
  });
});

const at = (time: string) => new Date(`2026-11-25T${time}Z`);
const hole = (lastArchivedAt: string, nextArchivedAt: string, count = 2): ArchiveHole => ({ stream: "orders-0", after: "mysql-bin.000004", before: "mysql-bin.000007", count, lastArchivedAt: at(lastArchivedAt), nextArchivedAt: at(nextArchivedAt) });
const window = { earliest: at("01:00:00"), latest: at("12:00:00") };

describe("pointInTimeGaps", () => {
  it("runs from the last archived transaction to the next backup consistent after the lost logs", () => {
    const gaps = pointInTimeGaps([hole("04:00:00", "05:00:00")], [at("01:00:00"), at("04:30:00"), at("06:00:00")], window);
    // The 04:30 backup is inside the lost span: replay from it would still miss transactions.
    expect(gaps).toEqual([{ from: "2026-11-25T04:00:00.000Z", to: "2026-11-25T06:00:00.000Z", reason: expect.stringContaining("2 log segments of orders-0 between mysql-bin.000004 and mysql-bin.000007 never reached the archive") }]);
    expect(gapAt(gaps, at("05:59:59"))).toBeDefined();
    expect(gapAt(gaps, at("04:00:00"))).toBeUndefined(); // the last archived transaction itself is recoverable
    expect(gapAt(gaps, at("06:00:00"))).toBeUndefined(); // and so is the backup's own time
  });

  it("runs to the window's end when no backup was taken since, and says to take one", () => {
    const gaps = pointInTimeGaps([hole("04:00:00", "05:00:00", 1)], [at("01:00:00")], window);
    expect(gaps).toEqual([{ from: "2026-11-25T04:00:00.000Z", to: "2026-11-25T12:00:00.000Z", reason: expect.stringMatching(/^1 log segment .*no backup since: take one/) }]);
    expect(gapAt(gaps, at("12:00:00"), window.latest)).toBeDefined(); // the window's end is inside it too
  });

  it("ignores holes before the window (older than every backup) and clips to the window", () => {
    expect(pointInTimeGaps([hole("00:10:00", "00:20:00")], [at("01:00:00")], window)).toEqual([]);
    expect(pointInTimeGaps([hole("00:50:00", "01:10:00")], [at("01:00:00"), at("02:00:00")], window)).toEqual([{ from: "2026-11-25T01:00:00.000Z", to: "2026-11-25T02:00:00.000Z", reason: expect.any(String) }]);
  });

  it("merges spans that overlap, and reports nothing without a window", () => {
    const gaps = pointInTimeGaps([hole("04:00:00", "05:00:00"), hole("05:30:00", "05:40:00")], [at("01:00:00"), at("06:00:00")], window);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ from: "2026-11-25T04:00:00.000Z", to: "2026-11-25T06:00:00.000Z" });
    expect(pointInTimeGaps([hole("04:00:00", "05:00:00")], [], {})).toEqual([]);
  });
});
