/**
 * `steward catalog list|show|diff|upgrade`: the app catalog from the user's side. Everything is
 * read through the Kubernetes API with the user's identity; list shows only templates visible in
 * the namespace, as the admission policy would allow them.
 */
import { createInterface } from "node:readline/promises";
import { Command } from "commander";
import { stringify } from "yaml";
import { describeDrift, resolveCluster, templateDrift, upgradedSpec, type DriftEntry } from "../catalog/resolve.js";
import { visibleIn } from "../catalog/visibility.js";
import { TEMPLATE_ANNOTATIONS, databaseCluster, databaseTemplate, type DatabaseCluster, type DatabaseTemplate, type TemplateParameter } from "../shared/api/index.js";
import { KubeClient, RESOURCES, type KubeObject } from "../shared/k8s/client.js";
import { kubeconfigOption, namespaceOf } from "./options.js";

export async function readTemplate(client: KubeClient, name: string): Promise<DatabaseTemplate> {
  const raw = await client.get<KubeObject>(RESOURCES.DatabaseTemplate, undefined, name);
  if (!raw) throw new Error(`no DatabaseTemplate named ${name} (steward catalog list shows the catalog)`);
  return databaseTemplate.parse(raw);
}

/** The namespace's labels, or undefined when the user may not read namespaces (then nothing is filtered). */
export async function namespaceLabels(client: KubeClient, namespace: string): Promise<Record<string, string> | undefined> {
  try {
    const raw = await client.get<KubeObject>(RESOURCES.Namespace, undefined, namespace);
    return raw?.metadata.labels ?? {};
  } catch {
    return undefined;
  }
}

export function describeParameter(parameter: TemplateParameter): string {
  const allowed: string[] = [];
  if (parameter.enum) allowed.push(`one of ${parameter.enum.join(", ")}`);
  if (parameter.minimum !== undefined) allowed.push(`>= ${parameter.minimum}`);
  if (parameter.maximum !== undefined) allowed.push(`<= ${parameter.maximum}`);
  if (parameter.pattern) allowed.push(`matches ${parameter.pattern}`);
  if (parameter.format) allowed.push(parameter.format);
  return [parameter.type, parameter.default !== undefined ? `default ${parameter.default}` : undefined, ...allowed].filter(Boolean).join("; ");
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_cell, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join("  ")).join("\n");
}

export function renderTemplateList(templates: DatabaseTemplate[]): string {
  const rows = [["NAME", "TITLE", "ENGINE", "SIZES", "DESCRIPTION"]];
  for (const template of templates) {
    const engine = template.spec.flavor ? `${template.spec.engine}/${template.spec.flavor}` : template.spec.engine;
    const description = (template.spec.description ?? "") + (template.spec.caveat ? ` [${template.spec.caveat}]` : "");
    rows.push([template.metadata.name, template.spec.title, engine, template.spec.sizes.map((size) => size.name).join(","), description]);
  }
  return table(rows);
}

export function renderTemplate(template: DatabaseTemplate): string {
  const lines = [`${template.metadata.name}: ${template.spec.title}`];
  if (template.spec.description) lines.push(template.spec.description);
  if (template.spec.caveat) lines.push(`Caveat: ${template.spec.caveat}`);
  lines.push(`Engine: ${template.spec.engine}${template.spec.flavor ? ` (${template.spec.flavor})` : ""}   generation ${template.metadata.generation ?? "?"}`);
  lines.push("", "Sizes:");
  const defaultSize = template.spec.defaultSize ?? template.spec.sizes[0]!.name;
  for (const size of template.spec.sizes) {
    const requests = size.resources?.requests;
    const parts = [size.replicas !== undefined ? `${size.replicas} instances` : undefined, requests?.cpu !== undefined ? `cpu ${requests.cpu}` : undefined, requests?.memory !== undefined ? `memory ${requests.memory}` : undefined, size.storage ? `storage ${size.storage.size}` : undefined];
    lines.push(`  ${size.name}${size.name === defaultSize ? " (default)" : ""}: ${parts.filter(Boolean).join(", ")}`);
  }
  lines.push("", "Parameters (steward create NAME --template " + template.metadata.name + " --<parameter> VALUE):");
  const parameters = template.spec.parameters ?? [];
  if (!parameters.length) lines.push("  none");
  for (const parameter of parameters) lines.push(`  --${parameter.name}  ${parameter.title} -> spec.${parameter.path} (${describeParameter(parameter)})`);
  lines.push("", `Locked (a cluster may not change them): ${(template.spec.locked ?? []).map((path) => `spec.${path}`).join(", ") || "nothing"}`);
  lines.push("", "Sets:", ...stringify(template.spec.cluster ?? {}).trimEnd().split("\n").map((line) => `  ${line}`));
  return lines.join("\n");
}

/** What the template now gives differently from when the cluster was made, or why that cannot be said. */
export function clusterDrift(cluster: DatabaseCluster, template: DatabaseTemplate): { drift: DriftEntry[]; current: Record<string, unknown> } {
  const reference = cluster.spec.template;
  if (!reference) throw new Error(`cluster ${cluster.metadata.name} was not made from a template`);
  const recordedText = cluster.metadata.annotations?.[TEMPLATE_ANNOTATIONS.values];
  if (!recordedText) throw new Error(`cluster ${cluster.metadata.name} is not resolved yet (the operator resolves it on its first reconcile)`);
  const current = resolveCluster(template, reference).templateValues;
  return { drift: templateDrift(JSON.parse(recordedText) as Record<string, unknown>, current), current };
}

async function readCluster(client: KubeClient, namespace: string, name: string): Promise<{ raw: KubeObject; cluster: DatabaseCluster }> {
  const raw = await client.get<KubeObject>(RESOURCES.DatabaseCluster, namespace, name);
  if (!raw) throw new Error(`DatabaseCluster ${name} not found in namespace ${namespace}`);
  return { raw, cluster: databaseCluster.parse(raw) };
}

export function catalogCommand(): Command {
  const catalog = new Command("catalog").description("The app catalog: list and show templates, diff and upgrade clusters made from them");
  const common = (command: Command) => kubeconfigOption(command).option("-n, --namespace <namespace>", "namespace (default: the kubeconfig's)");

  catalog.addCommand(
    common(new Command("list"))
      .description("Templates visible in the namespace: title, engine, sizes, description")
      .option("-o, --output <format>", "table | json | yaml", "table")
      .action(async (options: { kubeconfig?: string; namespace?: string; output: string }) => {
        const client = KubeClient.fromKubeconfig(options.kubeconfig);
        try {
          const namespace = namespaceOf(client, options.namespace);
          const labels = await namespaceLabels(client, namespace);
          const all = (await client.list<KubeObject>(RESOURCES.DatabaseTemplate, undefined)).items.map((item) => databaseTemplate.parse(item));
          const visible = all.filter((template) => !labels || visibleIn(template, labels)).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
          if (options.output === "json") console.log(JSON.stringify(visible, null, 2));
          else if (options.output === "yaml") console.log(stringify(visible));
          else if (options.output === "table") console.log(visible.length ? renderTemplateList(visible) : `no templates visible in namespace ${namespace}`);
          else throw new Error(`--output: unknown format "${options.output}"; use table, json or yaml`);
        } finally {
          await client.close();
        }
      }),
  );

  catalog.addCommand(
    kubeconfigOption(new Command("show"))
      .description("A template's sizes, parameters (types, defaults, allowed values) and locked paths")
      .argument("<template>", "template name")
      .action(async (name: string, options: { kubeconfig?: string }) => {
        const client = KubeClient.fromKubeconfig(options.kubeconfig);
        try {
          console.log(renderTemplate(await readTemplate(client, name)));
        } finally {
          await client.close();
        }
      }),
  );

  catalog.addCommand(
    common(new Command("diff"))
      .description("What the cluster's template changed since the cluster was made from it")
      .argument("<cluster>", "a DatabaseCluster made from a template")
      .action(async (name: string, options: { kubeconfig?: string; namespace?: string }) => {
        const client = KubeClient.fromKubeconfig(options.kubeconfig);
        try {
          const { cluster } = await readCluster(client, namespaceOf(client, options.namespace), name);
          const template = await readTemplate(client, cluster.spec.template?.name ?? "");
          const { drift } = clusterDrift(cluster, template);
          const made = cluster.metadata.annotations?.[TEMPLATE_ANNOTATIONS.generation];
          if (!drift.length) console.log(`${name} is current with template ${template.metadata.name} (made from generation ${made}, now ${template.metadata.generation})`);
          else console.log(`template ${template.metadata.name} changed since ${name} was made (generation ${made} -> ${template.metadata.generation}):\n  ${describeDrift(drift).split("; ").join("\n  ")}`);
        } finally {
          await client.close();
        }
      }),
  );

  catalog.addCommand(
    common(new Command("upgrade"))
      .description("Re-apply the cluster's template (same size and parameters): shows the change, applies it on confirmation")
      .argument("<cluster>", "a DatabaseCluster made from a template")
      .option("--dry-run", "show the change only")
      .option("-y, --yes", "apply without asking")
      .action(async (name: string, options: { kubeconfig?: string; namespace?: string; dryRun?: boolean; yes?: boolean }) => {
        const client = KubeClient.fromKubeconfig(options.kubeconfig);
        try {
          const { raw, cluster } = await readCluster(client, namespaceOf(client, options.namespace), name);
          const template = await readTemplate(client, cluster.spec.template?.name ?? "");
          const { drift, current } = clusterDrift(cluster, template);
          if (!drift.length) {
            console.log(`${name} is current with template ${template.metadata.name}; nothing to do`);
            return;
          }
          console.log(`changes from template ${template.metadata.name} generation ${template.metadata.generation}:\n  ${describeDrift(drift).split("; ").join("\n  ")}`);
          if (options.dryRun) return;
          if (!options.yes) {
            const prompt = createInterface({ input: process.stdin, output: process.stderr });
            const answer = await prompt.question(`apply to ${name}? [y/N] `);
            prompt.close();
            if (!/^y(es)?$/i.test(answer.trim())) {
              console.log("not applied");
              return;
            }
          }
          const spec = upgradedSpec(raw.spec as Record<string, unknown>, drift);
          const annotations = { ...raw.metadata.annotations, [TEMPLATE_ANNOTATIONS.generation]: String(template.metadata.generation), [TEMPLATE_ANNOTATIONS.values]: JSON.stringify(current) };
          // PUT with the resourceVersion read: a cluster changed meanwhile is refused, not overwritten.
          await client.replace({ ...raw, metadata: { ...raw.metadata, annotations }, spec });
          console.log(`upgraded ${name} to template ${template.metadata.name} generation ${template.metadata.generation}`);
        } finally {
          await client.close();
        }
      }),
  );
  return catalog;
}
