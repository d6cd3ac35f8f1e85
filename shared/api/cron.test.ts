import { CronExpressionParser } from "cron-parser";
import { describe, expect, it } from "vitest";
import { CRON_REGEX } from "./cron.js";

describe("the cron schedule pattern", () => {
  const valid = ["0 3 * * *", "*/15 * * * *", "0 0 1 jan *", "30 2 * * mon-fri", "0 0,12 1-15/2 * 0", "@daily", "@hourly", "5 4 * * Sun", "0 0 ? * 7"];
  const invalid = ["61 * * * *", "0 24 * * *", "0 0 32 * *", "0 0 * 13 *", "0 0 * * 8", "* * * *", "* * * * * *", "daily", "@every 5m", "0 3 * * * ; rm", ""];

  it.each(valid)("accepts %j, which cron-parser also parses", (text) => {
    expect(CRON_REGEX.test(text)).toBe(true);
    const normalized = text.replace(/\?/g, "*");
    expect(() => CronExpressionParser.parse(normalized)).not.toThrow();
  });

  it.each(invalid)("refuses %j", (text) => {
    expect(CRON_REGEX.test(text)).toBe(false);
  });
});
