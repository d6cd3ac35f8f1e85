import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { V1PersistentVolume, V1PersistentVolumeClaim, V1StorageClass } from "@kubernetes/client-node";
import { parseQuantity } from "./downward.js";
import { isConflict, isNotFound, MERGE_PATCH, watchCache, type KubeClients, type WatchedCache } from "./kube.js";
import { SerialJob } from "./serial.js";

/** The default class: network storage (any node may attach a volume, one node at a time). */
export const STORAGE_CLASS = "steward-local";
/** Node-local storage: a volume lives on the node the first pod was scheduled to, and its pod can only run there. */
export const NODE_LOCAL_STORAGE_CLASS = "steward-node-local";
export const PROVISIONER = "steward.dev/local-runtime";
const PROVISIONED_BY = "pv.kubernetes.io/provisioned-by";
/** Set by the scheduler on a WaitForFirstConsumer claim once it picked a node for the pod. */
const SELECTED_NODE = "volume.kubernetes.io/selected-node";

/**
 * A dynamic provisioner, deleter and resizer for the runtime's two StorageClasses. Every claim
 * gets a hostPath PV backed by <stateDir>/volumes/<pv>, pre-bound through claimRef so the real
 * PV controller completes the binding. `steward-local` (default, Immediate) plays network
 * storage: the PV has no node affinity, any node may mount it, and the runtime attaches it to
 * one node at a time (pods.ts). `steward-node-local` (WaitForFirstConsumer) plays a local disk:
 * the real scheduler picks the node, the PV gets a required node affinity for it, so the pod
 * can only ever come back on that node. A Released PV with reclaim policy Delete is removed
 * with its directory. Growing a claim only updates the PV's and the claim's capacity: nothing
 * enforces sizes on a shared host filesystem.
 */
export class VolumeProvisioner {
  private claims?: WatchedCache<V1PersistentVolumeClaim>;
  private volumes?: WatchedCache<V1PersistentVolume>;
  private readonly job = new SerialJob(
    () => this.reconcile(),
    (error) => {
      this.log(`volume provisioner: ${error instanceof Error ? error.message : String(error)}`);
      setTimeout(() => this.sync(), 2000).unref();
    },
  );

  constructor(
    private readonly kube: KubeClients,
    readonly volumesDir: string,
    private readonly log: (line: string) => void,
  ) {}

  async start(): Promise<void> {
    await this.ensureStorageClass();
    mkdirSync(this.volumesDir, { recursive: true });
    const onError = (error: unknown) => this.log(`volume watch failed, retrying: ${String(error)}`);
    this.claims = await watchCache(this.kube.config, "/api/v1/persistentvolumeclaims", () => this.kube.core.listPersistentVolumeClaimForAllNamespaces(), () => this.sync(), onError);
    this.volumes = await watchCache(this.kube.config, "/api/v1/persistentvolumes", () => this.kube.core.listPersistentVolume(), () => this.sync(), onError);
    this.sync();
  }

  async stop(): Promise<void> {
    await this.claims?.stop();
    await this.volumes?.stop();
    await this.job.idle();
  }

  private async ensureStorageClass(): Promise<void> {
    const classes: V1StorageClass[] = [
      {
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        metadata: { name: STORAGE_CLASS, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
        provisioner: PROVISIONER,
        reclaimPolicy: "Delete",
        volumeBindingMode: "Immediate",
        allowVolumeExpansion: true,
      },
      {
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        metadata: { name: NODE_LOCAL_STORAGE_CLASS },
        provisioner: PROVISIONER,
        reclaimPolicy: "Delete",
        volumeBindingMode: "WaitForFirstConsumer",
        allowVolumeExpansion: true,
      },
    ];
    for (const body of classes) {
      try {
        await this.kube.storage.createStorageClass({ body });
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
    }
  }

  sync(): void {
    this.job.trigger();
  }

  private async reconcile(): Promise<void> {
    for (const claim of this.claims?.list() ?? []) {
      const storageClass = claim.spec?.storageClassName;
      if ((storageClass !== STORAGE_CLASS && storageClass !== NODE_LOCAL_STORAGE_CLASS) || claim.metadata?.deletionTimestamp) continue;
      const volumeName = claim.spec?.volumeName;
      // A node-local claim waits for the scheduler's choice of node.
      const waiting = storageClass === NODE_LOCAL_STORAGE_CLASS && !claim.metadata?.annotations?.[SELECTED_NODE];
      if (!volumeName && claim.status?.phase !== "Bound") {
        if (!waiting) await this.provision(claim);
      } else if (volumeName) await this.resize(claim);
    }
    for (const volume of this.volumes?.list() ?? []) {
      if (volume.metadata?.annotations?.[PROVISIONED_BY] !== PROVISIONER) continue;
      if (volume.status?.phase === "Released" && (volume.spec?.persistentVolumeReclaimPolicy ?? "Delete") === "Delete") await this.remove(volume);
    }
  }

  private pvName(claim: V1PersistentVolumeClaim): string {
    return `pvc-${claim.metadata!.uid}`;
  }

  private async provision(claim: V1PersistentVolumeClaim): Promise<void> {
    const name = this.pvName(claim);
    if (this.volumes?.get(name)) return;
    if (claim.spec?.volumeMode === "Block") {
      this.log(`claim ${claim.metadata!.namespace}/${claim.metadata!.name} asks for a block volume; the local runtime only provisions filesystems`);
      return;
    }
    const storageClass = claim.spec!.storageClassName!;
    const node = storageClass === NODE_LOCAL_STORAGE_CLASS ? claim.metadata?.annotations?.[SELECTED_NODE] : undefined;
    const path = join(this.volumesDir, name);
    // World-writable like local-path-provisioner's directories: engines that drop root from
    // a shell script (no fsGroup applies to them) must still be able to write.
    mkdirSync(path, { recursive: true, mode: 0o777 });
    const body: V1PersistentVolume = {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name, annotations: { [PROVISIONED_BY]: PROVISIONER }, labels: { "steward.dev/local-runtime": "true", ...(node ? { "steward.dev/local-node": node } : {}) } },
      spec: {
        capacity: { storage: claim.spec?.resources?.requests?.storage ?? "1Gi" },
        accessModes: claim.spec?.accessModes ?? ["ReadWriteOnce"],
        persistentVolumeReclaimPolicy: "Delete",
        storageClassName: storageClass,
        volumeMode: "Filesystem",
        ...(node ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [node] }] }] } } } : {}),
        hostPath: { path, type: "DirectoryOrCreate" },
        claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: claim.metadata!.namespace, name: claim.metadata!.name, uid: claim.metadata!.uid },
      },
    };
    try {
      await this.kube.core.createPersistentVolume({ body });
      this.log(`provisioned ${name} (${storageClass}${node ? ` on ${node}` : ""}) for claim ${claim.metadata!.namespace}/${claim.metadata!.name} at ${path}`);
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }

  private async resize(claim: V1PersistentVolumeClaim): Promise<void> {
    const requested = claim.spec?.resources?.requests?.storage;
    const volume = this.volumes?.get(claim.spec!.volumeName!);
    if (!requested || !volume || volume.metadata?.annotations?.[PROVISIONED_BY] !== PROVISIONER) return;
    const capacity = volume.spec?.capacity?.storage;
    if (capacity && parseQuantity(requested) > parseQuantity(capacity)) {
      await this.kube.core.patchPersistentVolume({ name: volume.metadata!.name!, body: { spec: { capacity: { storage: requested } } } }, MERGE_PATCH);
    }
    // Only a bound claim whose reported capacity is below its request is being grown; right
    // after binding the PV controller has yet to report the capacity itself.
    const reported = claim.status?.capacity?.storage;
    if (claim.status?.phase === "Bound" && reported && parseQuantity(reported) < parseQuantity(requested)) {
      await this.kube.core.patchNamespacedPersistentVolumeClaimStatus(
        { name: claim.metadata!.name!, namespace: claim.metadata!.namespace!, body: { status: { capacity: { storage: requested }, allocatedResources: { storage: requested }, conditions: null } } },
        MERGE_PATCH,
      );
      this.log(`resized claim ${claim.metadata!.namespace}/${claim.metadata!.name} to ${requested} (not enforced on the host filesystem)`);
    }
  }

  private async remove(volume: V1PersistentVolume): Promise<void> {
    const path = volume.spec?.hostPath?.path;
    if (path && path.startsWith(this.volumesDir + "/")) rmSync(path, { recursive: true, force: true });
    try {
      await this.kube.core.deletePersistentVolume({ name: volume.metadata!.name! });
      this.log(`deleted released volume ${volume.metadata!.name}`);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}
