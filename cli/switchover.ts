import { Command } from "commander";
import { ANNOTATIONS, databaseCluster, type DatabaseCluster } from "../shared/api/index.js";
import { KubeClient, RESOURCES } from "../shared/k8s/client.js";
import { pluginOf } from "../operators/engine.js";
import { TimedOutError } from "./output.js";
import { ENGINE_PLUGINS } from "../operators/engines.js";
import { kubeconfigOption, namespaceOf, readCluster } from "./options.js";

export interface SwitchoverOutcome {
  done: boolean;
  ok?: boolean;
  message: string;
}

/**
 * Reads a cluster after a switchover request: done once the operator removed the annotation
 * and recorded a lastSwitchover newer than the request. Pure, for tests.
 */
export function switchoverOutcome(cluster: DatabaseCluster, requestedAt: Date): SwitchoverOutcome {
  const pending = cluster.metadata.annotations?.[ANNOTATIONS.switchover];
  const last = cluster.status?.lastSwitchover;
  // lastSwitchover.at has millisecond precision; compare to the second to tolerate clock skew.
  if (!pending && last && !last.inProgress && Date.parse(last.at) >= Math.floor(requestedAt.getTime() / 1000) * 1000 - 1000) {
    return { done: true, ok: last.to !== undefined, message: last.result };
  }
  return { done: false, message: pending ? `waiting for the operator (primary ${cluster.status?.currentPrimary ?? "unknown"})` : "waiting for the operator to record the result" };
}

/**
 * `steward switchover CLUSTER [--to POD]`: asks the operator for a planned change of primary by
 * setting the steward.dev/switchover annotation (a pod name or "auto"), then follows it until
 * the operator records the result in status.lastSwitchover.
 */
/** What help lists (cli/commands.ts holds the same words): every engine with a switchover, none named. */
export const SWITCHOVER_DESCRIPTION = "Move a cluster's primary to a replica, for engines that have a switchover (writes pause for about a second)";

/** Engines with a primary to move (the switchover capability of the registry's plugins). */
const SWITCHOVER_ENGINES = ENGINE_PLUGINS.filter((plugin) => plugin.capabilities.switchover);

export function switchoverCommand(): Command {
  return kubeconfigOption(new Command("switchover"))
    .description(SWITCHOVER_DESCRIPTION)
    .argument("<cluster>", "DatabaseCluster name")
    .option("--to <pod>", "the replica to promote (default: the most advanced healthy replica)")
    .option("-n, --namespace <namespace>", "namespace (default: the kubeconfig's)")
    .option("--no-wait", "return once the request is recorded")
    .option("--timeout <seconds>", "how long to wait for the result", "120")
    .action(async (name: string, options: { kubeconfig?: string; namespace?: string; to?: string; wait: boolean; timeout: string }) => {
      const client = KubeClient.fromKubeconfig(options.kubeconfig);
      const namespace = namespaceOf(client, options.namespace);
      const cluster = await readCluster(client, namespace, name);
      const plugin = pluginOf(ENGINE_PLUGINS, cluster.spec.engine);
      if (!plugin.capabilities.switchover) throw new Error(`${name} is a ${plugin.title} cluster, which has no switchover (no primary to move); switchover is for ${SWITCHOVER_ENGINES.map((p) => p.title).join(" and ")} clusters`);
      const target = options.to ?? "auto";
      if (target !== "auto" && !target.startsWith(`${name}-`)) throw new Error(`--to must name a pod of ${name} (${name}-0, ${name}-1, ...), got ${target}`);
      const requestedAt = new Date();
      await client.mergePatch(RESOURCES.DatabaseCluster, namespace, name, { metadata: { annotations: { [ANNOTATIONS.switchover]: target } } });
      console.log(`Requested a switchover of ${name} to ${target === "auto" ? "the most advanced healthy replica" : target} (primary now ${cluster.status?.currentPrimary ?? "unknown"})`);
      if (!options.wait) return;
      const deadline = Date.now() + Number(options.timeout) * 1000;
      while (Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const current = await client.get(RESOURCES.DatabaseCluster, namespace, name);
        if (!current) throw new Error(`DatabaseCluster ${name} was deleted`);
        const outcome = switchoverOutcome(databaseCluster.parse(current), requestedAt);
        if (outcome.done) {
          console.log(outcome.message);
          if (!outcome.ok) process.exitCode = 1;
          return;
        }
      }
      throw new TimedOutError(`no result within ${options.timeout}s; see kubectl describe databasecluster ${name}`);
    });
}
