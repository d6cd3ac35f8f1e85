import { describe, expect, it } from "vitest";
import { generatePassword } from "./secrets.js";

describe("generatePassword", () => {
  it("has the asked length, 32 by default", () => {
    expect(generatePassword()).toHaveLength(32);
    expect(generatePassword(1)).toHaveLength(1);
    expect(generatePassword(200)).toHaveLength(200);
  });

  it("uses only letters and digits", () => {
    for (let i = 0; i < 200; i++) expect(generatePassword()).toMatch(/^[A-Za-z0-9]{32}$/);
  });

  it("never repeats across many draws", () => {
    const seen = new Set(Array.from({ length: 10_000 }, () => generatePassword()));
    expect(seen.size).toBe(10_000);
  });

  it("draws every character of the alphabet about equally often", () => {
    const counts = new Map<string, number>();
    for (const char of generatePassword(62 * 2000)) counts.set(char, (counts.get(char) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // 2000 expected per character; 5 standard deviations (about 44 each) either side.
    for (const count of counts.values()) expect(Math.abs(count - 2000)).toBeLessThan(225);
  });

  it("refuses a length that is not a positive integer", () => {
    expect(() => generatePassword(0)).toThrow(/positive integer/);
    expect(() => generatePassword(2.5)).toThrow(/positive integer/);
  });
});
