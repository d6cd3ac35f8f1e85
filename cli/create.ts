/**
 * `steward create NAME --template T`: one command from the catalog to a running database. The
 * template's parameters become flags (their titles are the help text); the spec is resolved here,
 * with the same function the operator uses, so --dry-run and -o yaml show exactly what is made.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Command, Option } from "commander";
import { parse as parseYaml, stringify } from "yaml";
import { TemplateError, resolveCluster } from "../catalog/resolve.js";
import { setPath } from "../catalog/spec-paths.js";
import { visibleIn } from "../catalog/visibility.js";
import { clusterSpecPaths } from "../shared/api/crd.js";
import { API_VERSION, TEMPLATE_ANNOTATIONS, databaseCluster, type DatabaseTemplate, type ParameterValue } from "../shared/api/index.js";
import { KubeClient, RESOURCES, type KubeObject } from "../shared/k8s/client.js";
import { describeParameter, namespaceLabels, readTemplate } from "./catalog.js";
import { kubeconfigOption, namespaceOf } from "./options.js";

interface CreateOptions {
  kubeconfig?: string;
  namespace?: string;
  template: string;
  size?: string;
  set: string[];
  dryRun?: string;
  output?: string;
  wait?: boolean;
  timeout: string;
  [parameter: string]: unknown;
}

/** The value after `--flag` or in `--flag=value` among the arguments, if any. */
export function flagValue(args: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === flag) return args[i + 1];
    if (args[i]!.startsWith(`${flag}=`)) return args[i]!.slice(flag.length + 1);
  }
  return undefined;
}

/**
 * `path=value` from --set: the value is read as YAML (5 is a number, true a boolean) unless the
 * field is a string in the spec (config values, versions, schedules stay as written).
 */
export function parseSet(text: string): { path: string; value: unknown } {
  const at = text.indexOf("=");
  if (at <= 0) throw new Error(`--set: expected path=value such as backup.schedule="0 4 * * *", got "${text}"`);
  const path = text.slice(0, at).replace(/^spec\./, "");
  const raw = text.slice(at + 1);
  const isString = path.startsWith("config.") || clusterSpecPaths().get(path) === "string";
  return { path, value: isString ? raw : (parseYaml(raw) as unknown) };
}

/** A resolution error as the flag that caused it. */
export function flagError(error: TemplateError): Error {
  const field = error.field.startsWith("parameters.") ? `--${error.field.slice("parameters.".length)}` : error.field === "size" ? "--size" : `--set ${error.field}`;
  return new Error(`${field}: ${error.message.slice(error.field.length + 2)}`);
}

/** The DatabaseCluster to create: resolved here, with the annotations the operator would write. */
export function buildClusterFromTemplate(template: DatabaseTemplate, name: string, namespace: string, size: string | undefined, parameters: Record<string, ParameterValue>, sets: string[]): KubeObject {
  const user: Record<string, unknown> = {};
  for (const text of sets) {
    const { path, value } = parseSet(text);
    setPath(user, path, value);
  }
  const reference = { name: template.metadata.name, ...(size ? { size } : {}), ...(Object.keys(parameters).length ? { parameters } : {}) };
  let resolved;
  try {
    resolved = resolveCluster(template, reference, user);
  } catch (error) {
    throw error instanceof TemplateError ? flagError(error) : error;
  }
  return {
    apiVersion: API_VERSION,
    kind: "DatabaseCluster",
    metadata: {
      name,
      namespace,
      annotations: { [TEMPLATE_ANNOTATIONS.generation]: String(template.metadata.generation), [TEMPLATE_ANNOTATIONS.values]: JSON.stringify(resolved.templateValues) },
    },
    spec: resolved.spec,
  };
}

/** Follows the cluster to Ready, printing each change of phase and what is still missing. */
async function waitUntilReady(client: KubeClient, namespace: string, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    const raw = await client.get<KubeObject>(RESOURCES.DatabaseCluster, namespace, name);
    if (!raw) throw new Error(`DatabaseCluster ${namespace}/${name} was deleted while waiting`);
    const cluster = databaseCluster.safeParse(raw);
    const status = cluster.success ? cluster.data.status : undefined;
    const phase = status?.phase ?? "Pending";
    const ready = status?.conditions?.find((condition) => condition.type === "Ready");
    const line = `  ${phase}: ${status?.readyReplicas ?? 0}/${cluster.success ? cluster.data.spec.replicas : "?"} ready${ready ? ` (${ready.message})` : ""}`;
    if (line !== last) console.error(line);
    last = line;
    if (phase === "Ready") return;
    if (phase === "Failed") throw new Error(`cluster ${name} failed: ${ready?.message ?? `see kubectl describe dbc ${name} -n ${namespace}`}`);
    if (Date.now() > deadline) throw new Error(`cluster ${name} is not Ready after ${timeoutMs / 1000} s (it keeps going): steward status ${name} -n ${namespace}`);
    await sleep(1000);
  }
}

export function connectHelp(name: string, namespace: string): string {
  return [
    `connection Secret: ${name}-conn (keys host, port, username, password, uri)`,
    `  kubectl get secret ${name}-conn -n ${namespace} -o jsonpath='{.data.uri}' | base64 -d`,
  ].join("\n");
}

/**
 * Builds the command; with `--template T` among `args` the template is read first so that its
 * parameters are flags (and in --help). Without one, only the common flags exist.
 */
export async function createCommand(args: readonly string[]): Promise<Command> {
  const command = kubeconfigOption(new Command("create"))
    .description("Create a database cluster from a catalog template; the template's parameters are flags")
    .argument("<name>", "name of the new DatabaseCluster")
    .requiredOption("--template <template>", "catalog template to make it from")
    .option("-n, --namespace <namespace>", "namespace (default: the kubeconfig's)")
    .option("--size <size>", "one of the template's sizes (default: its defaultSize)")
    .option("--set <path=value>", "set a spec field the template does not lock, e.g. --set config.max_connections=500 (repeatable)", (value: string, previous: string[]) => [...previous, value], [] as string[])
    .addOption(new Option("--dry-run [mode]", "client: print what would be created; server: also have the API server (and its admission policies) check it").choices(["client", "server"]).preset("client"))
    .addOption(new Option("-o, --output <format>", "print the created cluster").choices(["yaml", "json"]))
    .option("--wait", "follow the cluster until Ready and print how to connect")
    .option("--timeout <seconds>", "with --wait: give up after this long", "1200");
  let template: DatabaseTemplate | undefined;
  const templateName = flagValue(args, "--template");
  if (templateName) {
    const client = KubeClient.fromKubeconfig(flagValue(args, "--kubeconfig"));
    try {
      template = await readTemplate(client, templateName);
    } finally {
      await client.close();
    }
    for (const parameter of template.spec.parameters ?? []) {
      const option = new Option(`--${parameter.name} <value>`, `${parameter.title} (${describeParameter(parameter)})`);
      command.addOption(parameter.enum ? option.choices(parameter.enum.map(String)) : option);
    }
    // The template's sizes: refused by name when wrong, and what shell completion offers.
    command.options.find((option) => option.long === "--size")?.choices(template.spec.sizes.map((size) => size.name));
  }
  return command.action(async (name: string, options: CreateOptions) => {
    if (!template) throw new Error("--template: required");
    const client = KubeClient.fromKubeconfig(options.kubeconfig);
    try {
      const namespace = namespaceOf(client, options.namespace);
      const labels = await namespaceLabels(client, namespace);
      if (labels && !visibleIn(template, labels)) throw new Error(`--template: template ${template.metadata.name} is not visible in namespace ${namespace} (steward catalog list -n ${namespace})`);
      const parameters: Record<string, ParameterValue> = {};
      for (const parameter of template.spec.parameters ?? []) {
        const key = new Option(`--${parameter.name} <value>`).attributeName();
        if (typeof options[key] === "string") parameters[parameter.name] = parameter.type === "integer" && /^-?[0-9]+$/.test(options[key]) ? Number(options[key]) : options[key];
      }
      const object = buildClusterFromTemplate(template, name, namespace, options.size, parameters, options.set);
      const print = (value: KubeObject) => {
        const { managedFields: _managedFields, ...metadata } = value.metadata;
        const shown = { ...value, metadata };
        console.log(options.output === "json" ? JSON.stringify(shown, null, 2) : stringify(shown));
      };
      if (options.dryRun === "client") {
        print(object);
        return;
      }
      const created = await client.create(object, { dryRun: options.dryRun === "server" });
      if (options.dryRun === "server") {
        print(created);
        return;
      }
      if (options.output) print(created);
      console.error(`created DatabaseCluster ${namespace}/${name} from template ${template.metadata.name} (generation ${template.metadata.generation})`);
      if (!options.wait) return;
      await waitUntilReady(client, namespace, name, Number(options.timeout) * 1000);
      console.log(`${name} is Ready\n${connectHelp(name, namespace)}`);
    } finally {
      await client.close();
    }
  });
}
