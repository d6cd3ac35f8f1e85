import type { Command } from "commander";
import { databaseCluster, type DatabaseCluster } from "../shared/api/index.js";
import { KubeClient, RESOURCES } from "../shared/k8s/client.js";
import { NotFoundError } from "./output.js";

export function kubeconfigOption(command: Command): Command {
  return command.option("--kubeconfig <file>", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)");
}

/** The namespace to act in: the flag, else the kubeconfig context's, else default. */
export function namespaceOf(client: KubeClient, flag: string | undefined): string {
  if (flag) return flag;
  return client.access.namespace ?? "default";
}

/** A client for one command, closed when the command is done (pooled connections would keep the process alive). */
export async function withClient<T>(kubeconfig: string | undefined, run: (client: KubeClient) => Promise<T>): Promise<T> {
  const client = KubeClient.fromKubeconfig(kubeconfig);
  try {
    return await run(client);
  } finally {
    await client.close();
  }
}

export async function readCluster(client: KubeClient, namespace: string, name: string): Promise<DatabaseCluster> {
  const raw = await client.get(RESOURCES.DatabaseCluster, namespace, name);
  if (!raw) throw new NotFoundError(`DatabaseCluster ${name} not found in namespace ${namespace}`);
  return databaseCluster.parse(raw);
}
