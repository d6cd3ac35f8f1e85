import { Command } from "commander";
import { LABELS, databaseBackup, type DatabaseBackup } from "../shared/api/index.js";
import { KubeClient, RESOURCES, type KubeObject } from "../shared/k8s/client.js";
import { kubeconfigOption, namespaceOf } from "./options.js";
import { ProgressPrinter, formatBytes } from "./progress.js";

export function manualBackupName(cluster: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "").replace("T", "-").toLowerCase();
  return `${cluster}-manual-${stamp}`;
}

/** Polls a resource until its phase is terminal, printing progress; resolves with the last object. */
export async function follow<T>(read: () => Promise<T | undefined>, view: (object: T) => { phase: string; bytes?: number; totalBytes?: number }, options: { timeoutMs?: number } = {}): Promise<T> {
  const printer = new ProgressPrinter();
  const deadline = Date.now() + (options.timeoutMs ?? 24 * 3600_000);
  try {
    for (;;) {
      const object = await read();
      if (!object) throw new Error("the resource was deleted while it was followed");
      const state = view(object);
      printer.update(state.phase, state.bytes, state.totalBytes);
      if (state.phase === "Completed" || state.phase === "Failed") return object;
      if (Date.now() > deadline) throw new Error("gave up following (timeout); it keeps running: kubectl get dbb,dbr");
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  } finally {
    printer.done();
  }
}

/** `steward backup CLUSTER`: creates a DatabaseBackup now and follows it to Completed or Failed. */
export function backupCommand(): Command {
  return kubeconfigOption(new Command("backup"))
    .description("Back up a cluster now and follow the backup until it is Completed or Failed")
    .argument("<cluster>", "the DatabaseCluster to back up")
    .option("-n, --namespace <namespace>", "namespace (default: the kubeconfig's)")
    .option("--name <name>", "name of the DatabaseBackup (default: <cluster>-manual-<time>)")
    .option("--storage <storage>", "BackupStorage (default: the cluster's spec.backup.storage)")
    .option("--compression <compression>", "zstd | gzip | none")
    .option("--no-follow", "create it and return")
    .action(async (cluster: string, options: { kubeconfig?: string; namespace?: string; name?: string; storage?: string; compression?: string; follow: boolean }) => {
      const client = KubeClient.fromKubeconfig(options.kubeconfig);
      const namespace = namespaceOf(client, options.namespace);
      if (!(await client.get(RESOURCES.DatabaseCluster, namespace, cluster))) throw new Error(`DatabaseCluster ${cluster} not found in namespace ${namespace}`);
      const name = options.name ?? manualBackupName(cluster);
      const spec: Record<string, string> = { cluster };
      if (options.storage) spec.storage = options.storage;
      if (options.compression) spec.compression = options.compression;
      await client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseBackup", metadata: { name, namespace, labels: { [LABELS.cluster]: cluster } }, spec } as KubeObject);
      console.error(`Created DatabaseBackup ${namespace}/${name}`);
      if (!options.follow) return;
      const final = await follow<DatabaseBackup>(
        async () => {
          const raw = await client.get(RESOURCES.DatabaseBackup, namespace, name);
          return raw ? databaseBackup.parse(raw) : undefined;
        },
        (backup) => ({ phase: backup.status?.phase ?? "Pending", bytes: backup.status?.progress?.bytes }),
      );
      await client.close();
      if (final.status?.phase === "Failed") {
        process.exitCode = 1;
        console.error(`Backup ${name} failed at ${final.status.error?.step ?? "?"}: ${final.status.error?.message ?? "see kubectl describe dbb " + name}`);
        return;
      }
      console.log(`Backup ${name} completed: ${formatBytes(final.status?.size ?? 0)} at ${final.status?.location} (${final.status?.checksum}; ${final.status?.position})`);
    });
}
