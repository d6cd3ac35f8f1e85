import { Command } from "commander";
import { loadClusterEngines } from "../operators/engine.js";
import { ENGINE_PLUGINS } from "../operators/engines.js";
import { createOperator } from "../operators/operator.js";
import { kubeconfigOption } from "./options.js";

export function operatorCommand(): Command {
  return kubeconfigOption(new Command("operator"))
    .description("Run the Steward operator against the current kubeconfig (one leader at a time, via a Lease)")
    .option("--namespace <namespaces>", "reconcile only this namespace, or these (comma-separated) (default: all)")
    .option("--no-leader-election", "run without a Lease (only when exactly one operator runs)")
    .option("--lease-namespace <namespace>", "namespace of the leader-election Lease (default: --namespace, else steward-system)")
    .option("--lease-name <name>", "name of the leader-election Lease", "steward-operator")
    .option("--identity <id>", "leader-election identity (default: hostname-pid)")
    .option("--metrics-port <port>", "serve /metrics, /healthz and /readyz on this port (0: off)", "8080")
    .action(async (options: { kubeconfig?: string; namespace?: string; leaderElection: boolean; leaseNamespace?: string; leaseName: string; identity?: string; metricsPort: string }) => {
      const namespaces = options.namespace?.split(",").map((name) => name.trim()).filter(Boolean) ?? [];
      const manager = createOperator({
        kubeconfig: options.kubeconfig,
        namespaces,
        leaderElection: options.leaderElection,
        leaseNamespace: options.leaseNamespace ?? namespaces[0] ?? "steward-system",
        leaseName: options.leaseName,
        identity: options.identity,
        metricsPort: Number(options.metricsPort) || undefined,
        handleSignals: true,
        engines: await loadClusterEngines(ENGINE_PLUGINS),
      });
      await manager.start();
    });
}
