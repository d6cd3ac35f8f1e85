/**
 * spec.bootstrap for RabbitMQ: before a brand-new node of the restored cluster first starts,
 * an init step writes the backup's definitions onto its volume (RabbitmqBackup.load with a
 * dataDir), with the new cluster's administrator written in; the setup step then has the node
 * load them at its first boot (load_definitions). A node that already has a database skips it:
 * its definitions come from the cluster. Messages are not part of a backup.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { V1Container } from "@kubernetes/client-node";
import type { DatabaseCluster } from "../../../shared/api/index.js";
import type { Logger } from "../../../shared/log.js";
import { storageFromEnvironment } from "../../../backup/agent/environment.js";
import { readBackupManifest, runRestore } from "../../../backup/pipeline.js";
import { BOOTSTRAP_ENV, bootstrapSecretName } from "../../../backup/cluster-secrets.js";
import { ADMIN_USER, CREDENTIAL_KEYS, RABBITMQ_PATHS, rabbitmqNames } from "../names.js";
import { RabbitmqBackup } from "./rabbitmq-backup.js";

export const BOOTSTRAP_CONTAINER = "restore-definitions";
const ADMIN_PASSWORD_ENV = "STEWARD_RABBITMQ_ADMIN_PASSWORD";

/** The init container (agent image) that runs before setup in every pod of a bootstrapped cluster. */
export function buildBootstrapContainer(cluster: DatabaseCluster, agentImage: string, command: string[] = ["steward", "agent", "rabbitmq-bootstrap"]): V1Container {
  const names = rabbitmqNames(cluster);
  return {
    name: BOOTSTRAP_CONTAINER,
    image: agentImage,
    command,
    env: [
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "RABBITMQ_NODENAME", value: `rabbit@$(POD_NAME).${names.headless}.${names.namespace}.svc.cluster.local` },
      { name: ADMIN_PASSWORD_ENV, valueFrom: { secretKeyRef: { name: names.credentials, key: CREDENTIAL_KEYS.adminPassword } } },
    ],
    envFrom: [{ secretRef: { name: bootstrapSecretName(cluster) } }],
    resources: { requests: { cpu: "20m", memory: "64Mi" }, limits: { memory: "256Mi" } },
    volumeMounts: [{ name: "data", mountPath: RABBITMQ_PATHS.data }],
  };
}

export interface BootstrapOptions {
  env?: NodeJS.ProcessEnv;
  dataDir?: string;
  log: Logger;
  signal?: AbortSignal;
}

/** Says whether it wrote definitions (false: the node has a database already). */
export async function restoreDefinitionsAtBoot(options: BootstrapOptions): Promise<boolean> {
  const env = options.env ?? process.env;
  const dataDir = options.dataDir ?? RABBITMQ_PATHS.data;
  const node = env.RABBITMQ_NODENAME;
  if (!node) throw new Error("RABBITMQ_NODENAME is not set; the pod template provides it");
  if (existsSync(join(dataDir, node))) {
    options.log.info({ node }, "The node has a database already; its definitions come from the cluster");
    return false;
  }
  const namespace = env[BOOTSTRAP_ENV.namespace];
  const cluster = env[BOOTSTRAP_ENV.cluster];
  const backup = env[BOOTSTRAP_ENV.backup];
  if (!namespace || !cluster) throw new Error(`${BOOTSTRAP_ENV.cluster} is not set: the Secret <cluster>-bootstrap is missing (the backup controllers write it)`);
  if (env[BOOTSTRAP_ENV.pointInTime]) throw new Error("RabbitMQ has no point-in-time recovery: restore a backup (spec.bootstrap.source.backup)");
  if (!backup) throw new Error(`${BOOTSTRAP_ENV.backup} is not set: name the backup to restore`);
  const password = env[ADMIN_PASSWORD_ENV];
  if (!password) throw new Error(`${ADMIN_PASSWORD_ENV} is not set; the pod template provides it from the credentials Secret`);
  const storage = storageFromEnvironment(env);
  try {
    const manifest = await readBackupManifest(storage, { namespace, name: cluster }, backup);
    if (!manifest) throw new Error(`backup ${backup} of ${namespace}/${cluster} has no manifest: it never completed, or its objects were removed`);
    if (manifest.engine !== "rabbitmq") throw new Error(`backup ${backup} is a ${manifest.engine} backup, not RabbitMQ definitions`);
    await runRestore({
      engine: new RabbitmqBackup(),
      endpoint: { host: "", port: 0, username: ADMIN_USER, password },
      dataDir,
      storage,
      manifest,
      signal: options.signal ?? new AbortController().signal,
      log: options.log,
    });
  } finally {
    storage.client.destroy();
  }
  options.log.info({ node, backup }, "Wrote the backup's definitions for the node's first boot");
  return true;
}
