import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { z } from "zod";
import { LABELS } from "../shared/api/index.js";
import { KubeApiError } from "../shared/k8s/errors.js";
import { RESOURCES, type KubeClient } from "../shared/k8s/client.js";
import { kubeconfigOption, withClient } from "./options.js";
import { outputOption, printOut, type OutputFormat } from "./output.js";
import { renderObjects } from "./print-objects.js";

/** The operator's Deployment carries this label (deploy/operator.yaml). */
export const OPERATOR_SELECTOR = `${LABELS.name}=steward-operator`;
const VERSION_LABEL = "app.kubernetes.io/version";

/** The version in the package.json of the installed CLI (found upward from this file: dist/cli or cli/). */
export function cliVersion(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth++, folder = dirname(folder)) {
    const file = join(folder, "package.json");
    if (existsSync(file)) return z.object({ version: z.string() }).parse(JSON.parse(readFileSync(file, "utf8"))).version;
  }
  return "unknown";
}

const deploymentSchema = z.looseObject({
  metadata: z.looseObject({ name: z.string(), namespace: z.string().optional(), labels: z.record(z.string(), z.string()).optional() }),
  spec: z.looseObject({ template: z.looseObject({ spec: z.looseObject({ containers: z.array(z.looseObject({ name: z.string(), image: z.string().optional() })) }) }) }),
  status: z.looseObject({ readyReplicas: z.number().optional() }).optional(),
});

export interface OperatorVersion {
  namespace: string;
  deployment: string;
  version: string;
  image?: string;
  readyReplicas: number;
}

/**
 * The operator's version as its Deployment states it: the app.kubernetes.io/version label,
 * else the tag of its image. Every namespace is searched (the chart's release namespace may
 * be any); without the right to list Deployments cluster-wide, steward-system only.
 */
export async function operatorVersions(client: KubeClient): Promise<OperatorVersion[]> {
  let items;
  try {
    items = (await client.list(RESOURCES.Deployment, undefined, { labelSelector: OPERATOR_SELECTOR })).items;
  } catch (error) {
    if (!(error instanceof KubeApiError && error.statusCode === 403)) throw error;
    items = (await client.list(RESOURCES.Deployment, "steward-system", { labelSelector: OPERATOR_SELECTOR })).items;
  }
  return items
    .map((item) => deploymentSchema.parse(item))
    .map((deployment) => {
      const image = deployment.spec.template.spec.containers.find((container) => container.name === "operator")?.image ?? deployment.spec.template.spec.containers[0]?.image;
      const tag = image && /:([^:/@]+)(@.*)?$/.exec(image)?.[1];
      return { namespace: deployment.metadata.namespace ?? "", deployment: deployment.metadata.name, version: deployment.metadata.labels?.[VERSION_LABEL] ?? tag ?? "unknown", image, readyReplicas: deployment.status?.readyReplicas ?? 0 };
    })
    .sort((a, b) => `${a.namespace}/${a.deployment}`.localeCompare(`${b.namespace}/${b.deployment}`));
}

export function versionCommand(): Command {
  return outputOption(kubeconfigOption(new Command("version")))
    .description("Print the CLI's version and the operator's (read from its Deployment in the cluster)")
    .option("--client", "only the CLI's version (no cluster access)")
    .action(async (options: { kubeconfig?: string; client?: boolean; output: OutputFormat }) => {
      const client = cliVersion();
      if (options.client) {
        printOut(options.output === "table" ? `Client: ${client}` : renderObjects(options.output, { client: { version: client } }));
        return;
      }
      const operators = await withClient(options.kubeconfig, operatorVersions);
      if (options.output !== "table") {
        printOut(renderObjects(options.output, { client: { version: client }, operators }));
        return;
      }
      const lines = [`Client: ${client}`];
      if (operators.length === 0) lines.push(`Operator: not found (no Deployment labelled ${OPERATOR_SELECTOR}; an operator run as a process, as \`steward local\` does, is not visible here)`);
      for (const operator of operators) lines.push(`Operator: ${operator.version} (Deployment ${operator.namespace}/${operator.deployment}, image ${operator.image ?? "?"}, ${operator.readyReplicas} ready)`);
      printOut(lines.join("\n"));
    });
}
