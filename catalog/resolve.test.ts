import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { databaseClusterResourceSpec, databaseClusterSpec, type DatabaseTemplate } from "../shared/api/index.js";
import { builtinTemplates } from "./builtin.js";
import { TemplateError, checkTemplate, describeDrift, resolveCluster, templateDrift, templateLayers, upgradedSpec } from "./resolve.js";

const GOLDEN = join(import.meta.dirname, "golden");
const templates = builtinTemplates();
const byName = (name: string) => templates.find((template) => template.metadata.name === name)!;

/** The API server's defaults on a cluster that only names a template (what the operator then reads). */
const serverDefaults = (spec: Record<string, unknown>) => ({ replicas: 3, storage: { size: "1Gi" }, failover: { delaySeconds: 5, dataLoss: "none" }, paused: false, allowScaleDown: false, deletionPolicy: "RetainData", ...spec });

// Golden files: each built-in template at each size, plus parameter and user overrides. Write
// them anew with UPDATE_GOLDEN=1 after a deliberate change, and read the diff before committing.
const cases: { file: string; template: string; size?: string; parameters?: Record<string, string | number>; user?: Record<string, unknown> }[] = [
  ...templates.flatMap((template) => template.spec.sizes.map((size) => ({ file: `${template.metadata.name}-${size.name}`, template: template.metadata.name, size: size.name }))),
  { file: "mysql-ha-default-size", template: "mysql-ha" },
  { file: "mysql-ha-parameters", template: "mysql-ha", size: "medium", parameters: { storage: "80Gi", replicas: 5, schedule: "30 1 * * *" } },
  { file: "mysql-ha-user-overrides", template: "mysql-ha", size: "small", parameters: { storage: "20Gi" }, user: serverDefaults({ replicas: 5, backup: { retention: { keepLast: 3 } }, config: { max_connections: "500" } }) },
  { file: "redis-ha-server-defaults-do-not-override", template: "redis-ha", size: "medium", user: serverDefaults({}) },
];

describe("resolution of built-in templates (golden files)", () => {
  it.each(cases)("$file", ({ file, template, size, parameters, user }) => {
    const reference = { name: template, ...(size ? { size } : {}), ...(parameters ? { parameters } : {}) };
    const resolved = resolveCluster(byName(template), reference, user ?? {});
    // The result is a spec the API server admits and the reconcilers read.
    expect(databaseClusterResourceSpec.safeParse(resolved.spec).success).toBe(true);
    expect(databaseClusterSpec.parse(resolved.spec).engine).toBe(byName(template).spec.engine);
    const text = stringify({ reference, user: user ?? null, spec: resolved.spec, templateValues: resolved.templateValues });
    const path = join(GOLDEN, `${file}.yaml`);
    if (process.env.UPDATE_GOLDEN || !existsSync(path)) writeFileSync(path, text);
    expect(text).toBe(readFileSync(path, "utf8"));
  });
});

describe("resolution refusals name the parameter or size", () => {
  const mysql = byName("mysql-ha");
  it.each([
    ["an unknown size", { size: "huge" }, /^size: template mysql-ha has no size "huge"/],
    ["an unknown parameter", { parameters: { colour: "red" } }, /^parameters\.colour: template mysql-ha has no parameter/],
    ["an integer outside enum", { parameters: { replicas: 4 } }, /^parameters\.replicas: must be one of 3, 5/],
    ["a non-integer", { parameters: { replicas: "three" } }, /^parameters\.replicas: must be an integer/],
    ["a quantity below minimum", { parameters: { storage: "1Gi" } }, /^parameters\.storage: must be at least 5Gi/],
    ["a bad quantity", { parameters: { storage: "lots" } }, /^parameters\.storage: must be a quantity/],
    ["a bad cron", { parameters: { schedule: "every night" } }, /^parameters\.schedule: .*cron/],
    ["a pattern mismatch", { parameters: { database: "my-db" } }, /^parameters\.database: must match/],
  ])("%s", (_name, reference, message) => {
    expect(() => templateLayers(mysql, reference)).toThrow(TemplateError);
    expect(() => templateLayers(mysql, reference)).toThrow(message);
  });

  it("refuses a locked path the user sets differently, and admits the template's own value", () => {
    expect(() => resolveCluster(mysql, { name: "mysql-ha" }, { backup: { storage: "elsewhere" } })).toThrow(/^backup\.storage: locked by template mysql-ha to "backups"/);
    expect(resolveCluster(mysql, { name: "mysql-ha" }, { backup: { storage: "backups" } }).spec.backup).toMatchObject({ storage: "backups" });
  });

  it("refuses a template whose quantity bound is not a quantity (what the CRD cannot afford to check)", () => {
    const bad: DatabaseTemplate = structuredClone(mysql);
    bad.spec.parameters![0]!.minimum = "lots";
    expect(() => checkTemplate(bad)).toThrow(/^spec\.parameters\[storage\]\.minimum: must be a quantity/);
    expect(() => checkTemplate(mysql)).not.toThrow();
  });

  it("refuses an engine the template does not make", () => {
    expect(() => resolveCluster(mysql, { name: "mysql-ha" }, { engine: "redis" })).toThrow(/^engine: template mysql-ha makes mysql engine/);
  });
});

describe("drift and upgrade", () => {
  it("reports what the template changed and applies only that, keeping the user's own settings", () => {
    const before = byName("mysql-ha");
    const cluster = resolveCluster(before, { name: "mysql-ha", size: "small" }, { replicas: 5 });
    const after: DatabaseTemplate = structuredClone(before);
    after.spec.cluster = { ...after.spec.cluster, version: "11.4" };
    after.spec.sizes[0]!.resources = { requests: { cpu: "500m", memory: "512Mi" } };
    const now = templateLayers(after, { size: "small" });
    const drift = templateDrift(cluster.templateValues, Object.fromEntries(Object.entries(resolveCluster(after, { name: "mysql-ha", size: "small" }).templateValues)));
    expect(drift).toEqual([
      { path: "resources.requests.cpu", from: "250m", to: "500m" },
      { path: "version", from: "10.11", to: "11.4" },
    ]);
    expect(describeDrift(drift)).toBe('resources.requests.cpu: "250m" -> "500m"; version: "10.11" -> "11.4"');
    const upgraded = upgradedSpec(cluster.spec, drift);
    expect(upgraded.version).toBe(now.spec.version);
    expect(upgraded.replicas).toBe(5);
  });
});
