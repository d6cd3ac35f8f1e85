import { Command } from "commander";
import { databaseRestore, type DatabaseRestore } from "../shared/api/index.js";
import { KubeClient, RESOURCES, type KubeObject } from "../shared/k8s/client.js";
import { follow } from "./backup.js";
import { kubeconfigOption, namespaceOf } from "./options.js";

export interface RestoreFlags {
  backup?: string;
  cluster?: string;
  time?: string;
  to?: string;
  inPlace?: boolean;
  confirm?: boolean;
}

/** The DatabaseRestore spec the flags ask for, or why they do not make sense. */
export function restoreSpecFromFlags(flags: RestoreFlags): { source: Record<string, string>; target: Record<string, string | boolean> } {
  if (Boolean(flags.backup) === Boolean(flags.cluster)) throw new Error("give either --backup BACKUP or --cluster CLUSTER --time T");
  if (flags.cluster && !flags.time) throw new Error("--cluster needs --time (RFC 3339, e.g. 2026-11-25T10:00:00Z)");
  if (flags.time && Number.isNaN(Date.parse(flags.time))) throw new Error(`--time ${flags.time} is not an RFC 3339 time such as 2026-11-25T10:00:00Z`);
  if (flags.inPlace && flags.to) throw new Error("--to and --in-place exclude each other");
  if (flags.inPlace && !flags.confirm) throw new Error("--in-place replaces the cluster's current data: add --confirm to do it");
  const source: Record<string, string> = flags.backup ? { backup: flags.backup } : { cluster: flags.cluster!, pointInTime: new Date(flags.time!).toISOString().replace(/\.000Z$/, "Z") };
  const target: Record<string, string | boolean> = flags.inPlace ? { inPlace: true, confirmOverwrite: true } : flags.to ? { newCluster: flags.to } : {};
  return { source, target };
}

/** `steward restore --backup B | --cluster C --time T [--to NEW | --in-place --confirm]` */
export function restoreCommand(): Command {
  return kubeconfigOption(new Command("restore"))
    .description("Restore a backup or a point in time into a new cluster (default) or in place, and follow it")
    .option("-n, --namespace <namespace>", "namespace (default: the kubeconfig's)")
    .option("--backup <backup>", "the DatabaseBackup to restore")
    .option("--cluster <cluster>", "restore this cluster to --time from its backups and archived binlogs")
    .option("--time <time>", "RFC 3339 point in time, e.g. 2026-11-25T10:00:00Z")
    .option("--to <cluster>", "name of the new cluster (default: the restore's name)")
    .option("--in-place", "replace the data of the source cluster (needs --confirm)")
    .option("--confirm", "confirm an in-place restore")
    .option("--name <name>", "name of the DatabaseRestore (default: restore-<time>)")
    .option("--no-follow", "create it and return")
    .action(async (options: RestoreFlags & { kubeconfig?: string; namespace?: string; name?: string; follow: boolean }) => {
      const spec = restoreSpecFromFlags(options);
      const client = KubeClient.fromKubeconfig(options.kubeconfig);
      const namespace = namespaceOf(client, options.namespace);
      const name = options.name ?? `restore-${new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "").replace("T", "-").toLowerCase()}`;
      await client.create({ apiVersion: "steward.dev/v1alpha1", kind: "DatabaseRestore", metadata: { name, namespace }, spec } as KubeObject);
      console.error(`Created DatabaseRestore ${namespace}/${name}`);
      if (!options.follow) return;
      const final = await follow<DatabaseRestore>(
        async () => {
          const raw = await client.get(RESOURCES.DatabaseRestore, namespace, name);
          return raw ? databaseRestore.parse(raw) : undefined;
        },
        (restore) => ({ phase: restore.status?.phase ?? "Pending", bytes: restore.status?.progress?.bytes, totalBytes: restore.status?.progress?.totalBytes }),
      );
      await client.close();
      if (final.status?.phase === "Failed") {
        process.exitCode = 1;
        console.error(`Restore ${name} failed at ${final.status.error?.step ?? "?"}: ${final.status.error?.message ?? "see kubectl describe dbr " + name}`);
        return;
      }
      console.log(`Restore ${name} completed into ${final.status?.targetCluster}; ${final.status?.verification?.tables.length ?? 0} tables checksummed (kubectl get dbr ${name} -o yaml)`);
    });
}
