import { useEffect, useState } from "preact/hooks";
import { stringify } from "yaml";
import { z } from "zod";
import { STEWARD } from "../access.js";
import { ApiError, anyObject, call, templateList, type AnyObject } from "../api.js";
import { ErrorText, GatedButton } from "../components.js";
import { refusedField } from "../model.js";
import { databaseTemplate, type DatabaseTemplate } from "../../../../shared/api/index.js";
import { parameterProblem, resolveCluster } from "../../../../catalog/resolve.js";

/** The DatabaseTemplate contract as far as the form needs it (the catalog's own schema is the authority). */
const parameter = z.looseObject({
  name: z.string(),
  path: z.string().optional(),
  title: z.string().optional(),
  type: z.string().default("string"),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  enum: z.array(z.union([z.string(), z.number()])).optional(),
  minimum: z.union([z.string(), z.number()]).optional(),
  maximum: z.union([z.string(), z.number()]).optional(),
  format: z.string().optional(),
  pattern: z.string().optional(),
});
const size = z.looseObject({ name: z.string(), title: z.string().optional(), replicas: z.number().optional(), storage: z.looseObject({ size: z.union([z.string(), z.number()]).optional() }).optional(), resources: z.unknown().optional() });
const templateSpec = z.looseObject({
  title: z.string().optional(),
  description: z.string().optional(),
  caveat: z.string().optional(),
  engine: z.string().optional(),
  flavor: z.string().optional(),
  sizes: z.array(size).default([]),
  defaultSize: z.string().optional(),
  parameters: z.array(parameter).default([]),
  locked: z.array(z.string()).default([]),
});
type TemplateSpec = z.infer<typeof templateSpec>;
type Parameter = z.infer<typeof parameter>;

function specOf(template: AnyObject): TemplateSpec {
  return templateSpec.parse((template as { spec?: unknown }).spec ?? {});
}

export function CatalogPage(props: { template?: string }) {
  const [list, setList] = useState<z.infer<typeof templateList>>();
  const [error, setError] = useState<string>();
  useEffect(() => void call("GET", "/api/templates", templateList).then(setList, (failure: unknown) => setError(String(failure))), []);
  const chosen = list?.items.find((item) => item.metadata.name === props.template);
  return (
    <section aria-labelledby="catalog-title">
      <h1 id="catalog-title">Catalog</h1>
      <ErrorText error={error} />
      {list && !list.installed && <p class="notice" role="status">{list.message}</p>}
      {list?.installed && list.message && <p class="error">{list.message}</p>}
      {chosen ? (
        <DeployForm template={chosen} />
      ) : (
        <ul class="cards">
          {list?.items.map((item) => {
            const spec = specOf(item);
            return (
              <li key={item.metadata.name} class="card template">
                <h2><a href={`#/catalog/${item.metadata.name}`}>{spec.title ?? item.metadata.name}</a></h2>
                <p class="sub">{spec.engine}{spec.flavor ? ` (${spec.flavor})` : ""}</p>
                <p>{spec.description}</p>
                {spec.caveat && <p class="warn-text">{spec.caveat}</p>}
                <p class="sub">Sizes: {spec.sizes.map((entry) => entry.name).join(", ") || "one"}</p>
              </li>
            );
          })}
          {list?.installed && list.items.length === 0 && <li>No templates yet. Admins add them with kubectl apply.</li>}
        </ul>
      )}
    </section>
  );
}

function initialValues(parameters: Parameter[]): Record<string, string> {
  return Object.fromEntries(parameters.map((entry) => [entry.name, entry.default !== undefined ? String(entry.default) : entry.enum?.[0] !== undefined ? String(entry.enum[0]) : ""]));
}

/** Values as spec.template.parameters holds them: integers as numbers, everything else (booleans too) as strings. */
function typed(entry: Parameter, value: string): string | number {
  return entry.type === "integer" && /^-?[0-9]+$/.test(value.trim()) ? Number(value) : value;
}


function DeployForm(props: { template: AnyObject }) {
  const spec = specOf(props.template);
  const [namespace, setNamespace] = useState("default");
  const [name, setName] = useState("");
  const [sizeName, setSizeName] = useState(spec.defaultSize ?? spec.sizes[0]?.name ?? "");
  const [values, setValues] = useState(initialValues(spec.parameters));
  const [preview, setPreview] = useState<string>();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string>();
  const [created, setCreated] = useState<string>();
  const parameters = Object.fromEntries(spec.parameters.filter((entry) => values[entry.name] !== "").map((entry) => [entry.name, typed(entry, values[entry.name] ?? "")]));
  const body = (dryRun: boolean) => ({ namespace, name, template: { name: props.template.metadata.name, ...(sizeName ? { size: sizeName } : {}), parameters }, dryRun });
  const sent = { apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", metadata: { name, namespace }, spec: { template: body(false).template } };
  const submit = (dryRun: boolean) => {
    setError(undefined);
    setFieldErrors({});
    setPreview(undefined);
    call("POST", "/api/deploy", anyObject, body(dryRun)).then(
      // A dry run's answer has the CRD's defaults but not the template yet (the operator resolves it on creation): report the verdict, keep the resolved preview.
      (object) => (dryRun ? setPreview(`The API server accepted ${object.metadata.name} in ${namespace} (dry run: nothing was created).`) : setCreated(`${namespace}/${name}`)),
      (failure: unknown) => {
        if (failure instanceof ApiError) {
          const field = refusedField(failure.message, failure.causes, spec.parameters.map((entry) => entry.name));
          if (field) setFieldErrors({ [field]: failure.message });
        }
        setError(String(failure instanceof Error ? failure.message : failure));
      },
    );
  };
  const chosenSize = spec.sizes.find((entry) => entry.name === sizeName);
  // The operator's own resolution, run here: the preview shows the cluster the operator will write.
  const template = databaseTemplate.safeParse(props.template);
  const problems: Record<string, string> = {};
  let resolved: string | undefined;
  if (template.success) {
    for (const entry of template.data.spec.parameters ?? []) {
      const value = parameters[entry.name];
      const problem = value === undefined ? undefined : parameterProblem(entry, value);
      if (problem) problems[entry.name] = problem;
    }
    resolved = resolvedYaml(template.data, { name, namespace }, body(false).template, problems);
  }
  return (
    <form class="deploy" onSubmit={(event) => (event.preventDefault(), submit(false))}>
      <p class="crumbs"><a href="#/catalog">← Catalog</a></p>
      <h2>{spec.title ?? props.template.metadata.name}</h2>
      <p>{spec.description}</p>
      {spec.caveat && <p class="warn-text">{spec.caveat}</p>}
      <label>Namespace<input id="deploy-namespace" type="text" value={namespace} required onInput={(event) => setNamespace(event.currentTarget.value)} /></label>
      <label>Name<input id="deploy-name" type="text" value={name} required aria-invalid={Boolean(fieldErrors.name)} aria-describedby="deploy-name-error" onInput={(event) => (setName(event.currentTarget.value), setFieldErrors(withoutKey(fieldErrors, "name")))} /></label>
      {/* Always in the page, so screen readers announce what appears in it (a live region added with its text is often missed). */}
      <p class="error" id="deploy-name-error" aria-live="polite">{fieldErrors.name ?? ""}</p>
      {spec.sizes.length > 0 && (
        <fieldset>
          <legend>Size</legend>
          {spec.sizes.map((entry) => (
            <label class="choice" key={entry.name}>
              <input type="radio" name="size" value={entry.name} checked={sizeName === entry.name} onChange={() => setSizeName(entry.name)} /> {entry.name}
              <span class="sub"> {entry.title ?? `${entry.replicas ?? "?"} instances, ${String(entry.storage?.size ?? "?")} each`}</span>
            </label>
          ))}
        </fieldset>
      )}
      {spec.parameters.map((entry) => (
        <div key={entry.name}>
          <label>
            {entry.title ?? entry.name}
            {entry.enum ? (
              <select id={`param-${entry.name}`} value={values[entry.name]} onChange={(event) => setValues({ ...values, [entry.name]: event.currentTarget.value })}>
                {entry.enum.map((option) => <option key={String(option)} value={String(option)}>{String(option)}</option>)}
              </select>
            ) : (
              <input id={`param-${entry.name}`} type={entry.type === "integer" ? "number" : "text"} value={values[entry.name]} aria-invalid={Boolean(fieldErrors[entry.name] ?? problems[entry.name])} aria-describedby={`param-${entry.name}-error`} onInput={(event) => (setValues({ ...values, [entry.name]: event.currentTarget.value }), setFieldErrors(withoutKey(fieldErrors, entry.name)))} />
            )}
          </label>
          {entry.minimum !== undefined && <span class="sub"> at least {String(entry.minimum)}</span>}
          <p class="error" id={`param-${entry.name}-error`} aria-live="polite">{fieldErrors[entry.name] ?? (problems[entry.name] ? `${entry.title ?? entry.name}: ${problems[entry.name]}` : "")}</p>
        </div>
      ))}
      {spec.locked.length > 0 && <p class="sub">Set by the template and locked: {spec.locked.join(", ")}</p>}
      <p class="summary" aria-live="polite">
        {name || "(name)"} in {namespace}: {spec.title ?? props.template.metadata.name}, size {sizeName || "default"}{chosenSize ? ` (${chosenSize.replicas ?? "?"} × ${String(chosenSize.storage?.size ?? "?")})` : ""}
        {Object.entries(parameters).map(([key, value]) => `, ${key} ${String(value)}`).join("")}
      </p>
      <details open>
        <summary>{resolved ? "YAML of the cluster the operator will write" : "YAML"}</summary>
        <pre class="yaml">{resolved ?? stringify(sent)}</pre>
      </details>
      {preview && <p role="status" class="ok-text" id="deploy-checked">{preview}</p>}
      <ErrorText error={error} />
      {created && <p role="status" class="ok-text">Created <a href={`#/db/${created}`}>{created}</a>.</p>}
      <div class="actions">
        <button type="button" class="plain" id="deploy-dry-run" onClick={() => submit(true)}>Check with the server (dry run)</button>
        <GatedButton id="deploy-create" kind="primary" check={{ verb: "create", group: STEWARD, resource: "databaseclusters", namespace }} blocked={name ? undefined : "enter a name"} onClick={() => submit(false)}>
          Create
        </GatedButton>
      </div>
    </form>
  );
}

/** A refusal from the server stops standing against a field once the user changes that field. */
function withoutKey(errors: Record<string, string>, key: string): Record<string, string> {
  if (!(key in errors)) return errors;
  const { [key]: _changed, ...rest } = errors;
  return rest;
}

/** The resolved DatabaseCluster as YAML, or undefined while a parameter is out of its schema. */
function resolvedYaml(template: DatabaseTemplate, metadata: { name: string; namespace: string }, reference: { name: string; size?: string; parameters?: Record<string, string | number> }, problems: Record<string, string>): string | undefined {
  if (Object.keys(problems).length > 0) return undefined;
  try {
    const { spec } = resolveCluster(template, reference);
    return stringify({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", metadata, spec });
  } catch {
    return undefined;
  }
}
