import { describe, expect, it } from "vitest";
import { parseRestoreTime } from "./restore-time.js";

describe("the time a restore is asked for", () => {
  it.each([
    ["2026-11-25T10:00:00Z", undefined, "2026-11-25T10:00:00.000Z"],
    ["2026-11-25T11:00:00+01:00", undefined, "2026-11-25T10:00:00.000Z"],
    ["2026-11-25 11:00:00", "Europe/Berlin", "2026-11-25T10:00:00.000Z"],
    ["2026-07-01T12:30", "Europe/Berlin", "2026-07-01T10:30:00.000Z"],
    ["2026-11-25 10:00:00", "UTC", "2026-11-25T10:00:00.000Z"],
    ["2026-03-08 01:59:59", "America/New_York", "2026-03-08T06:59:59.000Z"],
  ])("%s in %s is %s", (text, tz, expected) => {
    expect(parseRestoreTime(text, tz).toISOString()).toBe(expected);
  });

  it.each([
    ["yesterday", undefined, /neither RFC 3339/],
    ["2026-11-25 10:00:00", undefined, /no UTC offset: add --tz/],
    ["2026-11-25T10:00:00Z", "Europe/Berlin", /has its own UTC offset/],
    ["2026-11-25 10:00:00", "Mars/Olympus", /not a time zone/],
    ["2026-02-30 10:00:00", "UTC", /not a valid date/],
    // Europe/Berlin skips 02:00-03:00 on 2026-03-29 and repeats 02:00-03:00 on 2026-10-25.
    ["2026-03-29 02:30:00", "Europe/Berlin", /does not exist in Europe\/Berlin/],
    ["2026-10-25 02:30:00", "Europe/Berlin", /happens twice in Europe\/Berlin .*give 2026-10-25T02:30:00\+02:00 or 2026-10-25T02:30:00\+01:00/],
  ])("refuses %s (tz %s)", (text, tz, message) => {
    expect(() => parseRestoreTime(text, tz)).toThrow(message);
  });
});
