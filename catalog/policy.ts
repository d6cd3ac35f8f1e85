/**
 * Admission for the catalog, enforced by the API server itself: one ValidatingAdmissionPolicy
 * and binding per template (locked paths, parameter schemas, sizes, namespace visibility) and one
 * for the whole catalog (a cluster may only name a template whose policy is installed). They are
 * API objects with failurePolicy Fail, so they hold while the operator is down: nothing naming a
 * template is admitted unchecked. Pure builders: the template controller applies what they return.
 */
import { CRON_PATTERN, GROUP, LABELS, TEMPLATE_ANNOTATIONS, VERSION } from "../shared/api/index.js";
import type { DatabaseTemplate, LabelSelector, TemplateParameter } from "../shared/api/index.js";
import type { KubeObject } from "../shared/k8s/client.js";
import { checkTemplate, templateLayers } from "./resolve.js";
import { flattenLeaves, getPath, isPlainObject } from "./spec-paths.js";

const ADMISSION_API = "admissionregistration.k8s.io/v1";
export const CATALOG_POLICY = "steward-catalog";
export const policyName = (template: string) => `steward-template-${template}`;

/** A CEL string literal (JSON's escapes are CEL's). */
const literal = (value: unknown) => JSON.stringify(value);
const list = (values: readonly unknown[]) => `[${values.map(literal).join(", ")}]`;

/** `has(o.a) && has(o.a.b)` for spec path a.b on `root` (object or oldObject). */
function hasPath(root: string, path: string): string {
  const keys = path.split(".");
  return keys.map((_key, index) => `has(${root}.spec.${keys.slice(0, index + 1).join(".")})`).join(" && ");
}

const resolvedAnnotation = (root: string) => `has(${root}.metadata.annotations) && ${literal(TEMPLATE_ANNOTATIONS.generation)} in ${root}.metadata.annotations`;

/**
 * One rule per locked leaf. Before resolution (the operator fills the spec on its first
 * reconcile) a locked path may be absent or equal; once resolved it must equal the template's
 * value, or stay exactly what it was (a template edit does not lock existing clusters out of
 * their own updates: `steward catalog upgrade` brings them to the new value).
 */
function lockedValidations(template: DatabaseTemplate) {
  const name = template.metadata.name;
  const perSize = new Map(template.spec.sizes.map((size) => [size.name, templateLayers(template, { size: size.name, parameters: {} }).spec]));
  // The engine and flavor are the template's own: always locked.
  const leafPaths = new Set<string>(["engine", "flavor"]);
  for (const locked of template.spec.locked ?? []) {
    for (const spec of perSize.values()) {
      const value = getPath(spec, locked);
      if (isPlainObject(value)) for (const path of flattenLeaves(value, locked).keys()) leafPaths.add(path);
      else leafPaths.add(locked);
    }
  }
  const defaultSize = template.spec.defaultSize ?? template.spec.sizes[0]!.name;
  return [...leafPaths].sort().map((path) => {
    const values = new Map([...perSize].map(([size, spec]) => [size, getPath(spec, path)]));
    const distinct = new Set([...values.values()].map((value) => JSON.stringify(value ?? null)));
    const expected = (value: unknown) => (value === undefined ? `!(${hasPath("object", path)})` : `(${hasPath("object", path)} && object.spec.${path} == ${literal(value)})`);
    let equalsTemplate: string;
    if (distinct.size === 1) equalsTemplate = expected(values.get(defaultSize));
    else equalsTemplate = [...values].map(([size, value]) => `(variables.size == ${literal(size)} && ${expected(value)})`).join(" || ");
    const unchanged = `request.operation == 'UPDATE' && ${resolvedAnnotation("oldObject")} && (${hasPath("object", path)} ? (${hasPath("oldObject", path)} && object.spec.${path} == oldObject.spec.${path}) : !(${hasPath("oldObject", path)}))`;
    const before = `!(${hasPath("object", path)}) || ${equalsTemplate}`;
    const shown = distinct.size === 1 ? (values.get(defaultSize) === undefined ? "unset" : literal(values.get(defaultSize))) : "the size's value";
    return {
      expression: `variables.resolved ? ((${equalsTemplate}) || (${unchanged})) : (${before})`,
      message: `spec.${path} is locked by template ${name} to ${shown}`,
      reason: "Forbidden",
    };
  });
}

function parameterCheck(parameter: TemplateParameter): { expression: string; rule: string } {
  const x = `variables.params[${literal(parameter.name)}]`;
  const checks: string[] = [];
  const rules: string[] = [];
  const add = (check: string, rule: string) => {
    checks.push(check);
    rules.push(rule);
  };
  switch (parameter.type) {
    case "integer": {
      checks.push(`(type(${x}) == int || string(${x}).matches('^-?[0-9]+$'))`);
      rules.push("an integer");
      const n = `int(${x})`;
      if (parameter.minimum !== undefined) add(`${n} >= ${Number(parameter.minimum)}`, `at least ${parameter.minimum}`);
      if (parameter.maximum !== undefined) add(`${n} <= ${Number(parameter.maximum)}`, `at most ${parameter.maximum}`);
      if (parameter.enum) add(`${n} in ${list(parameter.enum.map(Number))}`, `one of ${parameter.enum.join(", ")}`);
      break;
    }
    case "quantity": {
      checks.push(`isQuantity(string(${x}))`);
      rules.push("a quantity such as 10Gi");
      const q = `quantity(string(${x}))`;
      if (parameter.minimum !== undefined) add(`${q}.compareTo(quantity(${literal(String(parameter.minimum))})) >= 0`, `at least ${parameter.minimum}`);
      if (parameter.maximum !== undefined) add(`${q}.compareTo(quantity(${literal(String(parameter.maximum))})) <= 0`, `at most ${parameter.maximum}`);
      if (parameter.enum) add(`string(${x}) in ${list(parameter.enum.map(String))}`, `one of ${parameter.enum.join(", ")}`);
      break;
    }
    case "boolean":
      checks.push(`string(${x}) in ['true', 'false']`);
      rules.push("true or false");
      break;
    case "string":
      checks.push(`type(${x}) == string`);
      rules.push("a string");
      if (parameter.pattern !== undefined) add(`string(${x}).matches(${literal(parameter.pattern)})`, `matching ${parameter.pattern}`);
      if (parameter.format === "cron") add(`string(${x}).matches(${literal(CRON_PATTERN)})`, "a five-field cron expression");
      if (parameter.enum) add(`string(${x}) in ${list(parameter.enum.map(String))}`, `one of ${parameter.enum.join(", ")}`);
      break;
  }
  // Integer checks convert with int(): they run only once the value is known to be one.
  return { expression: `!(${literal(parameter.name)} in variables.params) || (${checks.join(" && ")})`, rule: rules.join(", ") };
}

/** CEL that is true when namespaceObject's labels match the selector. */
export function selectorExpression(selector: LabelSelector): string {
  const labels = "namespaceObject.metadata.labels";
  const has = (key: string) => `(has(${labels}) && ${literal(key)} in ${labels})`;
  const terms = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `(${has(key)} && ${labels}[${literal(key)}] == ${literal(value)})`);
  for (const requirement of selector.matchExpressions ?? []) {
    const values = list(requirement.values ?? []);
    const key = requirement.key;
    if (requirement.operator === "In") terms.push(`(${has(key)} && ${labels}[${literal(key)}] in ${values})`);
    if (requirement.operator === "NotIn") terms.push(`(!${has(key)} || !(${labels}[${literal(key)}] in ${values}))`);
    if (requirement.operator === "Exists") terms.push(has(key));
    if (requirement.operator === "DoesNotExist") terms.push(`!${has(key)}`);
  }
  return terms.length ? terms.join(" && ") : "true";
}

const clusterRules = [{ apiGroups: [GROUP], apiVersions: [VERSION], operations: ["CREATE", "UPDATE"], resources: ["databaseclusters"] }];

function labelsFor(template?: string): Record<string, string> {
  return { [LABELS.managedBy]: "steward", [LABELS.component]: "catalog", ...(template ? { "steward.dev/template": template } : {}) };
}

/** The template's policy and binding, owned by the template (they go when it goes). */
export function buildTemplatePolicy(template: DatabaseTemplate): KubeObject[] {
  checkTemplate(template);
  const name = template.metadata.name;
  const parameters = template.spec.parameters ?? [];
  const sizes = template.spec.sizes.map((size) => size.name);
  const defaultSize = template.spec.defaultSize ?? sizes[0]!;
  const onCreate = (expression: string) => `request.operation != 'CREATE' || (${expression})`;
  const validations = [
    {
      expression: onCreate(`!has(object.spec.template.size) || object.spec.template.size in ${list(sizes)}`),
      messageExpression: `'spec.template.size: template ${name} has no size "' + object.spec.template.size + '"; sizes: ${sizes.join(", ")}'`,
      reason: "Invalid",
    },
    {
      expression: onCreate(`variables.params.all(k, k in ${list(parameters.map((p) => p.name))})`),
      messageExpression: `'spec.template.parameters.' + variables.params.filter(k, !(k in ${list(parameters.map((p) => p.name))}))[0] + ': template ${name} has no such parameter; parameters: ${parameters.map((p) => p.name).join(", ") || "none"}'`,
      reason: "Invalid",
    },
    ...parameters.map((parameter) => {
      const check = parameterCheck(parameter);
      return { expression: onCreate(check.expression), message: `spec.template.parameters.${parameter.name} must be ${check.rule} (template ${name}, ${parameter.title})`, reason: "Invalid" };
    }),
    ...lockedValidations(template),
    {
      expression: `request.operation != 'UPDATE' || !(${resolvedAnnotation("oldObject")}) || variables.resolved`,
      message: `metadata.annotations[${TEMPLATE_ANNOTATIONS.generation}] records what template ${name} the cluster was made from and may not be removed`,
      reason: "Forbidden",
    },
  ];
  if (template.spec.visibility) {
    validations.unshift({
      expression: onCreate(selectorExpression(template.spec.visibility.namespaceSelector)),
      messageExpression: `'spec.template.name: template ${name} is not visible in namespace ' + namespaceObject.metadata.name`,
      reason: "Forbidden",
    });
  }
  const owner = { apiVersion: template.apiVersion, kind: template.kind, name, uid: template.metadata.uid!, controller: true, blockOwnerDeletion: false };
  const policy = {
    apiVersion: ADMISSION_API,
    kind: "ValidatingAdmissionPolicy",
    metadata: { name: policyName(name), labels: labelsFor(name), ownerReferences: [owner] },
    spec: {
      failurePolicy: "Fail",
      matchConstraints: { resourceRules: clusterRules },
      matchConditions: [{ name: "made-from-template", expression: `has(object.spec.template) && object.spec.template.name == ${literal(name)}` }],
      variables: [
        { name: "params", expression: "has(object.spec.template.parameters) ? object.spec.template.parameters : {}" },
        { name: "size", expression: `has(object.spec.template.size) ? object.spec.template.size : ${literal(defaultSize)}` },
        { name: "resolved", expression: resolvedAnnotation("object") },
      ],
      validations,
    },
  };
  const binding = {
    apiVersion: ADMISSION_API,
    kind: "ValidatingAdmissionPolicyBinding",
    metadata: { name: policyName(name), labels: labelsFor(name), ownerReferences: [owner] },
    spec: { policyName: policyName(name), validationActions: ["Deny"] },
  };
  return [policy, binding];
}

/**
 * The catalog-wide policy: a new cluster may only name a template whose own policy is in place.
 * A template the operator has not seen yet (or one deleted) is refused by name, never admitted
 * unchecked.
 */
export function buildCatalogPolicy(ready: readonly string[]): KubeObject[] {
  const names = [...ready].sort();
  return [
    {
      apiVersion: ADMISSION_API,
      kind: "ValidatingAdmissionPolicy",
      metadata: { name: CATALOG_POLICY, labels: labelsFor() },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: { resourceRules: clusterRules },
        matchConditions: [{ name: "names-a-template", expression: "has(object.spec.template)" }],
        validations: [
          {
            expression: `request.operation != 'CREATE' || object.spec.template.name in ${list(names)}`,
            messageExpression: `'spec.template.name: no DatabaseTemplate named ' + object.spec.template.name + ' is ready (see steward catalog list; a new template is usable once the operator has installed its admission policy)'`,
            reason: "Invalid",
          },
        ],
      },
    },
    {
      apiVersion: ADMISSION_API,
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { name: CATALOG_POLICY, labels: labelsFor() },
      spec: { policyName: CATALOG_POLICY, validationActions: ["Deny"] },
    },
  ];
}
