import { Command } from "commander";
import { LABELS, databaseBackup, type DatabaseBackup } from "../shared/api/index.js";
import { RESOURCES, type KubeObject } from "../shared/k8s/client.js";
import { backupsOf } from "./backup-list.js";
import { follow, followOptions, followPlan, type FollowFlags } from "./follow.js";
import { kubeconfigOption, namespaceOf, readCluster, withClient } from "./options.js";
import { CliError, cliIo, outputOption, printErr, printOut, type OutputFormat } from "./output.js";
import { renderObjects } from "./print-objects.js";
import { formatBytes } from "./progress.js";

export function manualBackupName(cluster: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "").replace("T", "-").toLowerCase();
  return `${cluster}-manual-${stamp}`;
}

/** `steward backup CLUSTER`: creates a DatabaseBackup now and follows it to Completed or Failed. */
export function backupCommand(): Command {
  return followOptions(outputOption(kubeconfigOption(new Command("backup"))))
    .description("Back up a cluster now and follow the backup until it is Completed or Failed")
    .argument("<cluster>", "the DatabaseCluster to back up")
    .option("-n, --namespace <namespace>", "namespace (default: the kubeconfig's)")
    .option("--name <name>", "name of the DatabaseBackup (default: <cluster>-manual-<time>)")
    .option("--storage <storage>", "BackupStorage (default: the cluster's spec.backup.storage)")
    .option("--compression <compression>", "zstd | gzip | none")
    .action(async (clusterName: string, options: FollowFlags & { kubeconfig?: string; namespace?: string; name?: string; storage?: string; compression?: string; output: OutputFormat }) => {
      const plan = followPlan(options);
      await withClient(options.kubeconfig, async (client) => {
        const namespace = namespaceOf(client, options.namespace);
        const cluster = await readCluster(client, namespace, clusterName);
        const name = options.name ?? manualBackupName(clusterName, cliIo().now());
        const spec: Record<string, string> = { cluster: clusterName };
        if (options.storage) spec.storage = options.storage;
        if (options.compression) spec.compression = options.compression;
        // The previous backup's size is the best guess of this one's, for the estimate.
        const previous = backupsOf(cluster, (await client.list(RESOURCES.DatabaseBackup, namespace)).items.map((item) => databaseBackup.parse(item))).find((backup) => backup.status?.phase === "Completed" && backup.status.size);
        const created = await client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseBackup", metadata: { name, namespace, labels: { [LABELS.cluster]: clusterName } }, spec } as KubeObject);
        printErr(`Created DatabaseBackup ${namespace}/${name}`);
        if (!plan.follow) {
          if (options.output !== "table") printOut(renderObjects(options.output, created));
          return;
        }
        let raw: KubeObject | undefined;
        const final = await follow<DatabaseBackup>(
          `DatabaseBackup ${name}`,
          async () => {
            raw = await client.get(RESOURCES.DatabaseBackup, namespace, name);
            return raw ? databaseBackup.parse(raw) : undefined;
          },
          (backup) => ({ phase: backup.status?.phase ?? "Pending", bytes: backup.status?.progress?.bytes, expectedBytes: previous?.status?.size }),
          plan.timeoutMs,
        );
        if (options.output !== "table") printOut(renderObjects(options.output, raw!));
        if (final.status?.phase === "Failed") {
          throw new CliError(`Backup ${name} failed at ${final.status.error?.step ?? "?"}: ${final.status.error?.message ?? `see kubectl describe dbb ${name}`}`);
        }
        if (options.output === "table") printOut(`Backup ${name} completed: ${formatBytes(final.status?.size ?? 0)} at ${final.status?.location} (${final.status?.checksum}; ${final.status?.position})`);
      });
    });
}
