import { describe, expect, it } from "vitest";
import { DEFAULT_PART_BYTES, MAX_PARTS, MIN_PART_BYTES, partBytesFor } from "./objects.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe("partBytesFor", () => {
  it.each([
    [0, MIN_PART_BYTES],
    [1 * GiB, MIN_PART_BYTES],
    [12 * GiB, MIN_PART_BYTES],
    [13 * GiB, 6 * MiB],
    [100 * GiB, 42 * MiB],
    [2048 * GiB, 848 * MiB],
  ])("a database of %d bytes gets %d-byte parts", (dataBytes, expected) => {
    expect(partBytesFor(dataBytes, "")).toBe(expected);
  });

  it("leaves room for four times the data in S3's 10,000 parts", () => {
    for (const dataBytes of [3 * GiB, 50 * GiB, 700 * GiB]) expect(partBytesFor(dataBytes, "") * MAX_PARTS).toBeGreaterThanOrEqual(4 * dataBytes);
  });

  it("uses 8 MiB when the engine gave no size, and STEWARD_S3_PART_BYTES over everything", () => {
    expect(partBytesFor(undefined, "")).toBe(DEFAULT_PART_BYTES);
    expect(partBytesFor(100 * GiB, String(64 * MiB))).toBe(64 * MiB);
  });
});
