import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderCrds, repositoryRoot } from "./generate-crds.js";

describe("generated CRDs", () => {
  it("match the committed crds/*.yaml (run `npm run generate` after a schema change)", () => {
    const files = renderCrds();
    expect(files.size).toBe(5);
    for (const [name, text] of files) {
      const committed = readFileSync(join(repositoryRoot(), "crds", name), "utf8");
      expect(committed, `crds/${name} is stale`).toBe(text);
    }
  });

  it("are structural: every property has a type or is int-or-string", () => {
    const walk = (node: unknown, path: string): string[] => {
      if (!node || typeof node !== "object") return [];
      const schema = node as Record<string, unknown>;
      const problems: string[] = [];
      if (!schema.type && !schema["x-kubernetes-int-or-string"] && !schema["x-kubernetes-preserve-unknown-fields"]) problems.push(path);
      if ("anyOf" in schema || "oneOf" in schema || "additionalProperties" in schema && schema.additionalProperties === false) problems.push(`${path} (anyOf/oneOf/additionalProperties:false)`);
      for (const [key, child] of Object.entries((schema.properties as Record<string, unknown>) ?? {})) problems.push(...walk(child, `${path}.${key}`));
      if (schema.items) problems.push(...walk(schema.items, `${path}[]`));
      if (schema.additionalProperties && typeof schema.additionalProperties === "object") problems.push(...walk(schema.additionalProperties, `${path}{}`));
      return problems;
    };
    for (const text of renderCrds().values()) {
      const crd = parse(text) as { spec: { versions: { schema: { openAPIV3Schema: unknown } }[] } };
      expect(walk(crd.spec.versions[0]!.schema.openAPIV3Schema, "")).toEqual([]);
    }
  });
});
