import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";

const here = import.meta.dirname;

/**
 * The PrometheusRule's alerts, checked and unit-tested by promtool (Debian's prometheus package,
 * installed by local/setup.sh): each alert fires on a synthetic series and stays quiet on a
 * healthy one (alerts.test.yaml). promtool reads plain rule files, so the rule's spec is
 * written out beside a copy of the tests.
 */
describe("alert rules (promtool)", () => {
  const dir = mkdtempSync(join(tmpdir(), "steward-rules-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const rule = parse(readFileSync(join(here, "prometheus-rules.yaml"), "utf8")) as { kind: string; spec: { groups: { rules: { alert?: string }[] }[] } };
  writeFileSync(join(dir, "rules.yaml"), stringify({ groups: rule.spec.groups }));
  copyFileSync(join(here, "alerts.test.yaml"), join(dir, "alerts.test.yaml"));
  const promtool = (...args: string[]) => execFileSync("promtool", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

  it("is a PrometheusRule whose rules promtool accepts", () => {
    expect(rule.kind).toBe("PrometheusRule");
    expect(promtool("check", "rules", "rules.yaml")).toMatch(/SUCCESS: 6 rules found/);
  });

  it("has a test and a runbook paragraph for every alert", () => {
    const alerts = rule.spec.groups.flatMap((group) => group.rules.map((entry) => entry.alert)).filter((name): name is string => !!name);
    const tests = readFileSync(join(here, "alerts.test.yaml"), "utf8");
    const runbooks = readFileSync(join(here, "..", "..", "docs", "alerts.md"), "utf8");
    for (const alert of alerts) {
      expect(tests, alert).toContain(`alertname: ${alert}`);
      expect(runbooks, alert).toContain(`## ${alert}`);
    }
  });

  it("fires each alert on its synthetic series and stays quiet otherwise (promtool test rules)", () => {
    let output: string;
    try {
      output = promtool("test", "rules", "alerts.test.yaml");
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string };
      throw new Error(`promtool test rules failed:\n${failed.stdout ?? ""}${failed.stderr ?? ""}`, { cause: error });
    }
    expect(output).toMatch(/SUCCESS/);
  });
});
