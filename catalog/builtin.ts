/** The built-in templates shipped in deploy/catalog/ (the Helm chart and `steward local up` install them). */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { repositoryRoot } from "../shared/api/generate-crds.js";
import { databaseTemplate, type DatabaseTemplate } from "../shared/api/index.js";

export function catalogDirectory(): string {
  return join(repositoryRoot(), "deploy", "catalog");
}

/** Every DatabaseTemplate in deploy/catalog/*.yaml, parsed (rbac.yaml holds no templates). */
export function builtinTemplates(directory = catalogDirectory()): DatabaseTemplate[] {
  const templates: DatabaseTemplate[] = [];
  for (const file of readdirSync(directory).filter((name) => name.endsWith(".yaml")).sort()) {
    for (const document of parseAllDocuments(readFileSync(join(directory, file), "utf8"))) {
      const object = document.toJS() as { kind?: string } | null;
      if (object?.kind === "DatabaseTemplate") templates.push(databaseTemplate.parse(object));
    }
  }
  return templates;
}

/** Everything in deploy/catalog (templates and their read-only role), to apply as it is. */
export function catalogManifests(directory = catalogDirectory()): { apiVersion: string; kind: string; metadata: { name: string } }[] {
  const objects: { apiVersion: string; kind: string; metadata: { name: string } }[] = [];
  for (const file of readdirSync(directory).filter((name) => name.endsWith(".yaml")).sort()) {
    for (const document of parseAllDocuments(readFileSync(join(directory, file), "utf8"))) {
      const object = document.toJS() as { apiVersion: string; kind: string; metadata: { name: string } } | null;
      if (object?.kind) objects.push(object);
    }
  }
  return objects;
}
