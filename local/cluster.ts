import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { KubernetesObject } from "@kubernetes/client-node";
import { applyObjects, loadKubeConfig } from "./apply.js";
import { startControlPlane, type RunningControlPlane } from "./controlplane/launcher.js";
import { startProcess, waitFor, type ManagedProcess } from "./processes.js";
import { installOperatorChart } from "./operator-chart.js";
import { repositoryRoot } from "./repository.js";
import { LOCAL_CLUSTER_ENV } from "../shared/local-cluster.js";
import { startRuntime, type RunningRuntime } from "./runtime/runtime.js";
import { acquireSlot, isSlotHeld, slotOwner, type SlotLease } from "./runtime/slot-lease.js";
import { deployS3, type LocalS3 } from "./s3/s3.js";
import { installCatalog } from "./catalog.js";

/** The playground operator serves /metrics on this port plus the slot number. */
export const OPERATOR_METRICS_BASE_PORT = 18080;

export interface LocalClusterOptions {
  /** Everything lives here: PKI, etcd, kubeconfigs, logs, pods, volumes, the control socket. */
  stateDir: string;
  /** A given slot (0..63), or the first free one. */
  slot?: number;
  withRuntime?: boolean;
  /** How many nodes the runtime plays (1..8, default 1). */
  nodes?: number;
  withS3?: boolean;
  withOperator?: boolean;
  /** chart (default): installed with helm from deploy/helm/steward, a pod under its own ServiceAccount; host: a host process with the admin kubeconfig (debugging). */
  operatorMode?: "chart" | "host";
  /** Restart backoff base of the runtime (the kubelet's 10 s by default). */
  backoffBaseMs?: number;
  hostsFile?: string;
  log?: (line: string) => void;
}

export interface LocalCluster {
  kubeconfig: string;
  server: string;
  kubectl: string;
  slot: number;
  s3?: LocalS3;
  runtimeSocket?: string;
  /** The runtime's node names (empty without a runtime). */
  nodeNames: string[];
  stop(): Promise<void>;
}

export const BACKUP_STORAGE_NAME = "local-s3";
export const S3_CREDENTIALS_SECRET = "s3-credentials";

export async function installCrds(kubeconfig: string, log: (line: string) => void): Promise<void> {
  const dir = join(repositoryRoot(), "crds");
  if (!existsSync(dir)) return;
  const objects: KubernetesObject[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), "utf8"))) {
      const object = doc.toJS() as KubernetesObject | null;
      if (object?.kind) objects.push(object);
    }
  }
  // One refused CRD (crds/ is generated and may be mid-change) must not take the cluster down.
  const config = loadKubeConfig(kubeconfig);
  let installed = 0;
  for (const object of objects) {
    try {
      await applyObjects(config, [object]);
      installed++;
    } catch (error) {
      const body = (error as { body?: unknown }).body;
      const message = typeof body === "string" ? ((JSON.parse(body) as { message?: string }).message ?? body) : String(error);
      log(`CRD ${object.metadata?.name} was refused by the API server: ${message}`);
    }
  }
  log(`installed ${installed} of ${objects.length} CRDs from crds/`);
}

/** The Secret and BackupStorage that point Steward at the local S3, in namespace default. */
async function createBackupStorage(kubeconfig: string, s3: LocalS3): Promise<KubernetesObject> {
  const config = loadKubeConfig(kubeconfig);
  await applyObjects(config, [
    { apiVersion: "v1", kind: "Secret", metadata: { name: S3_CREDENTIALS_SECRET, namespace: "default" }, type: "Opaque", stringData: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } } as KubernetesObject,
  ]);
  const storage = {
    apiVersion: "steward.dev/v1alpha1",
    kind: "BackupStorage",
    metadata: { name: BACKUP_STORAGE_NAME, namespace: "default" },
    spec: { s3: { endpoint: s3.endpointInCluster, region: s3.region, bucket: s3.bucket, prefix: "", forcePathStyle: true, credentialsSecret: { name: S3_CREDENTIALS_SECRET }, caBundle: s3.caBundle } },
  } as KubernetesObject;
  // The CRD may still be on its way to Established.
  await waitFor("the BackupStorage CRD to accept objects", async () => {
    await applyObjects(config, [storage]);
    return true;
  }, 30_000, 300);
  return storage;
}

/**
 * A state dir is bound to the slot it was first started on: its etcd holds ClusterIPs from the
 * slot's Service range (and pod addresses from its pod range), which another slot does not own.
 */
function slotFor(options: LocalClusterOptions): number | undefined {
  const file = join(options.stateDir, "slot");
  const recorded = existsSync(file) ? Number(readFileSync(file, "utf8").trim()) : undefined;
  if (recorded === undefined) return options.slot;
  if (options.slot !== undefined && options.slot !== recorded) throw new Error(`the state dir ${options.stateDir} belongs to slot ${recorded} (its Services have addresses from 10.96.${recorded}.0/24); use --slot ${recorded} or a fresh state dir`);
  const owner = isSlotHeld(recorded) ? slotOwner(recorded) : undefined;
  if (isSlotHeld(recorded)) throw new Error(`slot ${recorded}, which the state dir ${options.stateDir} belongs to, is in use${owner ? ` by pid ${owner.pid} (state dir ${owner.stateDir})` : ""}; stop that cluster or use a fresh state dir`);
  return recorded;
}

/**
 * The local cluster: a real control plane on the slot's Service range, the process runtime as
 * its one node, the local S3 server as a pod with a BackupStorage pointing at it, and optionally
 * the operator. A failed start stops whatever it had started.
 */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const log = options.log ?? (() => {});
  const withRuntime = options.withRuntime ?? true;
  const withS3 = withRuntime && (options.withS3 ?? true);
  const started: { lease?: SlotLease; controlPlane?: RunningControlPlane; runtime?: RunningRuntime; operator?: ManagedProcess } = {};
  // Every step runs even when one before it failed; the first failure is reported at the end.
  const stop = async () => {
    const failures: unknown[] = [];
    for (const step of [() => started.operator?.stop(10_000), () => started.runtime?.stop(), () => started.controlPlane?.stop(), () => started.lease?.release(failures.length > 0)]) {
      await Promise.resolve()
        .then(step)
        .catch((error: unknown) => failures.push(error));
    }
    if (failures.length > 0) throw failures[0];
  };
  try {
    mkdirSync(options.stateDir, { recursive: true });
    if (withRuntime && process.getuid?.() !== 0) throw new Error("the local cluster's runtime needs root (network and mount namespaces); run as root, or with withRuntime false for a control plane only");
    const lease = process.getuid?.() === 0 ? await acquireSlot({ slot: slotFor(options), stateDir: options.stateDir, hostsFile: options.hostsFile, log }) : undefined;
    started.lease = lease;
    if (lease) writeFileSync(join(options.stateDir, "slot"), `${lease.slot.index}\n`);
    const serviceCidr = lease?.slot.serviceCidr ?? "10.96.0.0/24";
    const controlPlane = await startControlPlane({ stateDir: options.stateDir, serviceCidr, log });
    started.controlPlane = controlPlane;
    await installCrds(controlPlane.kubeconfig, log);
    if (withRuntime && lease) {
      started.runtime = await startRuntime({ kubeconfig: controlPlane.kubeconfigFor("runtime"), stateDir: options.stateDir, slot: lease.slot, nodes: options.nodes, hostsFile: options.hostsFile, backoffBaseMs: options.backoffBaseMs, log });
    }
    let s3: LocalS3 | undefined;
    let storage: KubernetesObject | undefined;
    if (withS3) {
      s3 = await deployS3(loadKubeConfig(controlPlane.kubeconfig), options.stateDir, log);
      storage = await createBackupStorage(controlPlane.kubeconfig, s3);
    } else {
      await applyObjects(loadKubeConfig(controlPlane.kubeconfig), [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "steward-system" } } as KubernetesObject]);
    }
    // The catalog comes with the operator (the test clusters start neither): the chart installs its
    // templates itself (and owns them: helm refuses objects another client made), a host-process
    // operator gets them applied here; the "backups" storage they lock to is made here either way.
    const chartMode = (options.operatorMode ?? "chart") === "chart";
    if (options.withOperator) await installCatalog(controlPlane.kubeconfig, log, storage, { templates: !chartMode });
    if (options.withOperator) {
      const root = repositoryRoot();
      if (!existsSync(join(root, "dist", "cli", "main.js"))) {
        log("not starting the operator: dist/cli/main.js does not exist (run npm run build)");
      } else if (chartMode) {
        await installOperatorChart({ kubeconfig: controlPlane.kubeconfig, log });
      } else {
        started.operator = startProcess({
          name: "operator",
          command: process.execPath,
          // One metrics port per slot, so two playgrounds on one machine don't clash.
          args: [join(root, "bin", "steward.js"), "operator", "--kubeconfig", controlPlane.kubeconfig, "--metrics-port", String(OPERATOR_METRICS_BASE_PORT + (lease?.slot.index ?? 0))],
          logDir: join(options.stateDir, "logs"),
          pidDir: join(options.stateDir, "pids"),
          cwd: root,
          // Engines whose server cannot run on this machine say so in their clusters' status (operators/mongodb).
          env: { ...process.env, [LOCAL_CLUSTER_ENV]: "true" },
        });
        log(`operator started (metrics on 127.0.0.1:${OPERATOR_METRICS_BASE_PORT + (lease?.slot.index ?? 0)}, log ${started.operator.logFile})`);
      }
    }
    return {
      kubeconfig: controlPlane.kubeconfig,
      server: controlPlane.server,
      kubectl: controlPlane.binaries.kubectl,
      slot: lease?.slot.index ?? -1,
      s3,
      runtimeSocket: started.runtime?.socketPath,
      nodeNames: started.runtime?.nodeNames ?? [],
      stop,
    };
  } catch (error) {
    await stop().catch((stopError: unknown) => log(`cleanup after a failed start failed too: ${String(stopError)}`));
    throw error;
  }
}
