import { describe, expect, it } from "vitest";
import type { DatabaseTemplate } from "../shared/api/index.js";
import { builtinTemplates } from "./builtin.js";
import { buildCatalogPolicy, buildTemplatePolicy, selectorExpression } from "./policy.js";
import { selectorMatches } from "./visibility.js";

const mysql = builtinTemplates().find((template) => template.metadata.name === "mysql-ha")!;
const withUid = (template: DatabaseTemplate): DatabaseTemplate => ({ ...template, metadata: { ...template.metadata, uid: "uid-1", generation: 1 } });

type Policy = { metadata: { name: string; ownerReferences?: { uid: string }[] }; spec: { failurePolicy: string; validations: { expression: string; message?: string }[]; validationActions?: string[] } };

describe("admission policies from a template", () => {
  it("denies with failurePolicy Fail, is owned by the template, and has one rule per locked leaf plus engine and flavor", () => {
    const [policy, binding] = buildTemplatePolicy(withUid(mysql)) as unknown as [Policy, Policy];
    expect(policy.metadata.name).toBe("steward-template-mysql-ha");
    expect(policy.metadata.ownerReferences?.[0]?.uid).toBe("uid-1");
    expect(policy.spec.failurePolicy).toBe("Fail");
    expect(binding.spec.validationActions).toEqual(["Deny"]);
    const locked = policy.spec.validations.map((validation) => validation.message).filter((message) => message?.includes(" is locked by "));
    expect(locked).toEqual([
      'spec.backup.pointInTime.enabled is locked by template mysql-ha to true',
      'spec.backup.storage is locked by template mysql-ha to "backups"',
      'spec.engine is locked by template mysql-ha to "mysql"',
      'spec.failover.dataLoss is locked by template mysql-ha to "none"',
      'spec.flavor is locked by template mysql-ha to "mariadb"',
    ]);
  });

  it("compares a locked value per size when the sizes give different values", () => {
    const template = withUid(structuredClone(mysql));
    template.spec.locked = ["replicas"];
    const [policy] = buildTemplatePolicy(template) as unknown as [Policy];
    const rule = policy.spec.validations.find((validation) => validation.message?.startsWith("spec.replicas is locked"))!;
    expect(rule.message).toBe("spec.replicas is locked by template mysql-ha to the size's value");
    expect(rule.expression).toContain('variables.size == "large" && (has(object.spec.replicas) && object.spec.replicas == 5)');
  });

  it("lists only the templates whose policy is in place in the catalog-wide policy", () => {
    const [policy] = buildCatalogPolicy(["redis-ha", "mysql-ha"]) as unknown as [Policy];
    expect(policy.spec.validations[0]!.expression).toContain('["mysql-ha", "redis-ha"]');
  });
});

describe("namespace visibility", () => {
  const selector = { matchLabels: { team: "shop" }, matchExpressions: [{ key: "tier", operator: "NotIn" as const, values: ["sandbox"] }] };
  it.each([
    [{ team: "shop" }, true],
    [{ team: "shop", tier: "prod" }, true],
    [{ team: "shop", tier: "sandbox" }, false],
    [{ team: "other" }, false],
    [{}, false],
  ])("labels %j -> %s", (labels, visible) => {
    expect(selectorMatches(selector, labels)).toBe(visible);
  });

  it("says the same in CEL for the admission policy", () => {
    expect(selectorExpression(selector)).toBe(
      '((has(namespaceObject.metadata.labels) && "team" in namespaceObject.metadata.labels) && namespaceObject.metadata.labels["team"] == "shop") && (!(has(namespaceObject.metadata.labels) && "tier" in namespaceObject.metadata.labels) || !(namespaceObject.metadata.labels["tier"] in ["sandbox"]))',
    );
  });
});
