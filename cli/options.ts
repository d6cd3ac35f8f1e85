import type { Command } from "commander";
import type { KubeClient } from "../shared/k8s/client.js";

export function kubeconfigOption(command: Command): Command {
  return command.option("--kubeconfig <file>", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)");
}

/** The namespace to act in: the flag, else the kubeconfig context's, else default. */
export function namespaceOf(client: KubeClient, flag: string | undefined): string {
  if (flag) return flag;
  const context = client.kubeConfig.getContextObject(client.kubeConfig.getCurrentContext());
  return context?.namespace ?? "default";
}
