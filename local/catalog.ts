/**
 * `steward local up` installs the app catalog as the Helm chart does: the built-in templates and
 * their read-only role from deploy/catalog/, and (with the local S3) a BackupStorage named
 * "backups" in namespace default, the storage the built-in templates lock their backups to.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { catalogManifests } from "../catalog/builtin.js";
import { applyObjects, loadKubeConfig } from "./apply.js";
import { waitFor } from "./processes.js";

export const CATALOG_BACKUP_STORAGE = "backups";

export async function installCatalog(kubeconfig: string, log: (line: string) => void, backupStorage?: KubernetesObject, what: { templates: boolean } = { templates: true }): Promise<void> {
  const config = loadKubeConfig(kubeconfig);
  const objects = what.templates ? (catalogManifests() as KubernetesObject[]) : [];
  if (backupStorage) objects.push({ ...backupStorage, metadata: { ...backupStorage.metadata, name: CATALOG_BACKUP_STORAGE } });
  // The DatabaseTemplate CRD may still be on its way to Established.
  await waitFor("the catalog to be accepted", async () => {
    await applyObjects(config, objects);
    return true;
  }, 30_000, 300);
  const templates = objects.filter((object) => object.kind === "DatabaseTemplate").length;
  log(what.templates ? `installed the catalog: ${templates} templates from deploy/catalog/` : `the catalog's templates come with the operator's chart; BackupStorage ${CATALOG_BACKUP_STORAGE} ready for them`);
}
