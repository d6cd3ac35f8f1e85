/**
 * Resolution: a template, a size and parameters, and what the user wrote, to one DatabaseCluster
 * spec. A pure function: the operator runs it once, on a cluster's first reconcile; the CLI runs
 * it for --dry-run and -o yaml, and for `catalog upgrade`.
 */
import {
  CRON_MESSAGE,
  CRON_REGEX,
  backupPolicy,
  databaseClusterSpec,
  type DatabaseTemplate,
  type ParameterValue,
  type TemplateParameter,
  type TemplateReference,
} from "../shared/api/index.js";
import { parseQuantity } from "./quantity.js";
import { deepMerge, flattenLeaves, getPath, isPlainObject, sameValue, setPath, type SpecObject } from "./spec-paths.js";

/** A refusal that names what to fix: a parameter, the size, or a template field. */
export class TemplateError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export interface ResolvedCluster {
  /** The full spec to write: the template's settings with the user's on top, engine filled in. */
  spec: SpecObject;
  /** The leaves the template (defaults, size, parameters) gave: what drift is measured against. */
  templateValues: Record<string, unknown>;
  size: string;
}

export function chooseSize(template: DatabaseTemplate, requested: string | undefined) {
  const name = requested ?? template.spec.defaultSize ?? template.spec.sizes[0]!.name;
  const size = template.spec.sizes.find((candidate) => candidate.name === name);
  if (!size) throw new TemplateError("size", `template ${template.metadata.name} has no size "${name}"; sizes: ${template.spec.sizes.map((s) => s.name).join(", ")}`);
  return size;
}

/** Why a value does not fit its parameter, or undefined when it does. */
export function parameterProblem(parameter: TemplateParameter, value: ParameterValue): string | undefined {
  const text = String(value);
  switch (parameter.type) {
    case "integer": {
      if (!/^-?[0-9]+$/.test(text)) return `must be an integer, got "${text}"`;
      const number = Number(text);
      if (parameter.minimum !== undefined && number < Number(parameter.minimum)) return `must be at least ${parameter.minimum}, got ${text}`;
      if (parameter.maximum !== undefined && number > Number(parameter.maximum)) return `must be at most ${parameter.maximum}, got ${text}`;
      break;
    }
    case "quantity": {
      const amount = parseQuantity(text);
      if (amount === undefined) return `must be a quantity such as 10Gi, got "${text}"`;
      if (parameter.minimum !== undefined && amount < parseQuantity(parameter.minimum)!) return `must be at least ${parameter.minimum}, got ${text}`;
      if (parameter.maximum !== undefined && amount > parseQuantity(parameter.maximum)!) return `must be at most ${parameter.maximum}, got ${text}`;
      break;
    }
    case "boolean":
      if (text !== "true" && text !== "false") return `must be true or false, got "${text}"`;
      break;
    case "string":
      if (parameter.pattern !== undefined && !new RegExp(parameter.pattern).test(text)) return `must match ${parameter.pattern}, got "${text}"`;
      if (parameter.format === "cron" && !CRON_REGEX.test(text)) return `${CRON_MESSAGE}, got "${text}"`;
      break;
  }
  if (parameter.enum && !parameter.enum.some((allowed) => String(allowed) === text)) return `must be one of ${parameter.enum.join(", ")}, got ${text}`;
  return undefined;
}

/** The value as the spec field wants it: integers and booleans stop being strings. */
export function specValue(parameter: TemplateParameter, value: ParameterValue): unknown {
  if (parameter.type === "integer") return Number(value);
  if (parameter.type === "boolean") return String(value) === "true";
  return String(value);
}

/**
 * What the CRD cannot say about a template: quantity bounds and defaults are checked here (a CEL
 * rule parsing an int-or-string inside a list exceeds the API server's cost budget), and every
 * size must resolve with the parameters' defaults. The template controller reports a problem as
 * PolicyReady=False, and the template stays unusable until it is fixed.
 */
export function checkTemplate(template: DatabaseTemplate): void {
  for (const parameter of template.spec.parameters ?? []) {
    if (parameter.type !== "quantity") continue;
    for (const bound of ["minimum", "maximum", "default"] as const) {
      const value = parameter[bound];
      if (value !== undefined && parseQuantity(value) === undefined) throw new TemplateError(`spec.parameters[${parameter.name}].${bound}`, `must be a quantity such as 10Gi, got "${value}"`);
    }
  }
  for (const size of template.spec.sizes) {
    try {
      templateLayers(template, { size: size.name });
    } catch (error) {
      if (error instanceof TemplateError) throw new TemplateError(`spec.parameters`, `size ${size.name} with the parameters' defaults: ${error.message}`);
      throw error;
    }
  }
}

/** Template defaults, then the size, then the parameters: what the template alone gives. */
export function templateLayers(template: DatabaseTemplate, reference: Omit<TemplateReference, "name">): { spec: SpecObject; size: string } {
  const parameters = template.spec.parameters ?? [];
  for (const name of Object.keys(reference.parameters ?? {})) {
    if (!parameters.some((parameter) => parameter.name === name)) {
      throw new TemplateError(`parameters.${name}`, `template ${template.metadata.name} has no parameter "${name}"; parameters: ${parameters.map((p) => p.name).join(", ") || "none"}`);
    }
  }
  const size = chooseSize(template, reference.size);
  let spec: SpecObject = { engine: template.spec.engine, ...(template.spec.flavor ? { flavor: template.spec.flavor } : {}) };
  spec = deepMerge(spec, structuredClone(template.spec.cluster ?? {}));
  const { name: _name, title: _title, ...sizeFields } = size;
  spec = deepMerge(spec, sizeFields as SpecObject);
  for (const parameter of parameters) {
    const value = reference.parameters?.[parameter.name] ?? parameter.default;
    if (value === undefined) continue;
    const problem = parameterProblem(parameter, value);
    if (problem) throw new TemplateError(`parameters.${parameter.name}`, problem);
    setPath(spec, parameter.path, specValue(parameter, value));
  }
  return { spec, size: size.name };
}

/**
 * Leaves the API server fills in from the CRD's defaults. On a cluster made from a template the
 * user's spec arrives with these already in it, indistinguishable from values the user wrote:
 * where the template sets such a path, the default does not override it.
 */
function crdDefaultLeaves(engine: string): Map<string, unknown> {
  const defaults = flattenLeaves(databaseClusterSpec.parse({ engine }) as SpecObject);
  const { storage: _storage, ...backupDefaults } = backupPolicy.parse({ storage: "placeholder" });
  for (const [path, value] of flattenLeaves(backupDefaults as SpecObject, "backup")) defaults.set(path, value);
  defaults.set("backup.pointInTime.enabled", false);
  return defaults;
}

/** The spec a cluster gets: template layers first, then every field the user wrote. */
export function resolveCluster(template: DatabaseTemplate, reference: TemplateReference, userSpec: SpecObject = {}): ResolvedCluster {
  if (reference.name !== template.metadata.name) throw new TemplateError("template.name", `expected template ${reference.name}, got ${template.metadata.name}`);
  const layers = templateLayers(template, reference);
  const templateLeaves = flattenLeaves(layers.spec);
  const defaults = crdDefaultLeaves(template.spec.engine);
  const user: SpecObject = {};
  for (const [path, value] of flattenLeaves(stripTemplate(userSpec))) {
    if (templateLeaves.has(path) && defaults.has(path) && sameValue(defaults.get(path), value)) continue;
    setPath(user, path, value);
  }
  for (const path of ["engine", "flavor"]) {
    const wanted = getPath(user, path);
    if (wanted !== undefined && !sameValue(wanted, layers.spec[path])) throw new TemplateError(path, `template ${template.metadata.name} makes ${String(layers.spec[path] ?? "no")} ${path}; leave ${path} out or pick another template`);
  }
  for (const locked of template.spec.locked ?? []) {
    for (const [path, value] of flattenLeaves(user)) {
      if ((path === locked || path.startsWith(`${locked}.`)) && !sameValue(value, templateLeaves.get(path))) {
        throw new TemplateError(path, `locked by template ${template.metadata.name} to ${JSON.stringify(templateLeaves.get(path) ?? "unset")}`);
      }
    }
  }
  const spec = deepMerge(layers.spec, user);
  spec.template = structuredClone(reference);
  return { spec, templateValues: Object.fromEntries(templateLeaves), size: layers.size };
}

function stripTemplate(spec: SpecObject): SpecObject {
  const { template: _template, ...rest } = spec;
  return rest;
}

export interface DriftEntry {
  path: string;
  /** What the template gave when the cluster was made (absent: it set nothing there). */
  from?: unknown;
  /** What it gives now (absent: it no longer sets the path). */
  to?: unknown;
}

/** What the template gives differently now from what it gave the cluster, by path. */
export function templateDrift(recorded: Record<string, unknown>, current: Record<string, unknown>): DriftEntry[] {
  const paths = [...new Set([...Object.keys(recorded), ...Object.keys(current)])].sort();
  return paths.filter((path) => !sameValue(recorded[path], current[path])).map((path) => ({ path, from: recorded[path], to: current[path] }));
}

export function describeDrift(drift: DriftEntry[]): string {
  const show = (value: unknown) => (value === undefined ? "(unset)" : JSON.stringify(value));
  return drift.map((entry) => `${entry.path}: ${show(entry.from)} -> ${show(entry.to)}`).join("; ");
}

/** The cluster's spec with the template's changes applied and the user's other settings kept. */
export function upgradedSpec(spec: SpecObject, drift: DriftEntry[]): SpecObject {
  const out = structuredClone(spec);
  for (const entry of drift) {
    if (entry.to === undefined) {
      const parent = entry.path.includes(".") ? getPath(out, entry.path.slice(0, entry.path.lastIndexOf("."))) : out;
      if (isPlainObject(parent)) delete parent[entry.path.slice(entry.path.lastIndexOf(".") + 1)];
    } else setPath(out, entry.path, entry.to);
  }
  return out;
}
