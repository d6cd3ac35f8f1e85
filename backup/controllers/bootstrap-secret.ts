import { LABELS, databaseBackup, databaseCluster, type DatabaseCluster } from "../../shared/api/index.js";
import { RESOURCES, type KubeClient, type KubeObject } from "../../shared/k8s/client.js";
import { ownerReference } from "../../shared/k8s/owner.js";
import { NextLoop } from "../../shared/runtime/controller.js";
import { BOOTSTRAP_ENV, bootstrapSecretName } from "../cluster-secrets.js";
import { agentStorageSecretData, getBackupStorage, openStorage } from "./storage-access.js";

/**
 * `<cluster>-bootstrap`: what the first pod of a cluster created from a backup (spec.bootstrap)
 * needs in its init step, as environment variables (envFrom): the source storage's location
 * and credentials, and the resolved source (cluster, backup or point in time). Owned by the
 * new cluster. Until it exists the pod's init step waits.
 */
export async function ensureBootstrapSecret(client: KubeClient, owner: KubeObject, cluster: DatabaseCluster): Promise<void> {
  const source = cluster.spec.bootstrap!.source;
  const namespace = cluster.metadata.namespace!;
  let sourceCluster: string;
  let storageName: string | undefined;
  if (source.backup) {
    const raw = await client.get<KubeObject>(RESOURCES.DatabaseBackup, namespace, source.backup);
    if (!raw) throw new NextLoop(`bootstrap source backup ${source.backup} does not exist (yet)`, 5000);
    const backup = databaseBackup.parse(raw);
    if (backup.status?.phase !== "Completed") throw new NextLoop(`bootstrap source backup ${source.backup} is ${backup.status?.phase ?? "Pending"}, not Completed`, 5000);
    sourceCluster = backup.spec.cluster;
    storageName = backup.status.storage ?? backup.spec.storage;
  } else {
    sourceCluster = source.cluster!;
    const raw = await client.get<KubeObject>(RESOURCES.DatabaseCluster, namespace, sourceCluster);
    storageName = raw ? databaseCluster.parse(raw).spec.backup?.storage : undefined;
  }
  if (!storageName) throw new NextLoop(`cannot tell which BackupStorage holds the backups of ${sourceCluster}`, 10_000);
  const storage = await getBackupStorage(client, namespace, storageName);
  const access = await openStorage(client, storage);
  access.client.destroy();
  const data: Record<string, string> = { ...agentStorageSecretData(storage, access), [BOOTSTRAP_ENV.namespace]: namespace, [BOOTSTRAP_ENV.cluster]: sourceCluster };
  if (source.backup) data[BOOTSTRAP_ENV.backup] = source.backup;
  if (source.pointInTime) data[BOOTSTRAP_ENV.pointInTime] = source.pointInTime;
  await client.apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: bootstrapSecretName(cluster), namespace, labels: { [LABELS.cluster]: cluster.metadata.name, [LABELS.managedBy]: "steward" }, ownerReferences: [ownerReference(owner)] },
    type: "Opaque",
    stringData: data,
  });
}
