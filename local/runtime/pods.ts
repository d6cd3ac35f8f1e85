import type { V1PersistentVolume, V1Pod } from "@kubernetes/client-node";
import type { ClusterView } from "./cluster-view.js";
import { hostBlockLines, nameRecords, podHostsFile, type NameRecord } from "./hosts.js";
import { watchCache, type WatchedCache } from "./kube.js";
import { WaitingForVolume } from "./pod-volumes.js";
import { PodWorker, type PodServices } from "./pod-worker.js";
import { SerialJob } from "./serial.js";
import { writeHostsBlock } from "./slot-lease.js";

/** What differs from node to node: its name, network block, facts, fault state and events. */
export type NodePodServices = Pick<PodServices, "nodeName" | "network" | "facts" | "paused" | "event">;
type SharedPodServices = Omit<PodServices, "hostsFileFor" | "sandboxChanged" | "attach" | keyof NodePodServices>;

/**
 * The pods bound to the runtime's nodes (a pod runs only on the node its spec.nodeName names), one worker each, and the names they see: every change to the
 * pods' addresses or to Services/EndpointSlices rewrites each pod's hosts file and the host's
 * /etc/hosts block (coalesced, at most one rewrite in flight).
 */
export class PodManager {
  readonly workers = new Map<string, PodWorker>();
  private pods?: WatchedCache<V1Pod>;
  private hostsTimer: NodeJS.Timeout | undefined;
  private readonly names = new SerialJob(
    () => this.writeNames(),
    (error) => this.services.log(`cannot update ${this.hostsFile}: ${String(error)}`),
  );
  private lastBlock = "";
  private refreshTimer: NodeJS.Timeout | undefined;
  private records: NameRecord[] = [];
  private stopped = false;

  constructor(
    private readonly services: SharedPodServices,
    private readonly nodes: ReadonlyMap<string, NodePodServices>,
    private readonly view: ClusterView,
    private readonly hostsFile: string,
  ) {
    view.onChange(() => this.namesChanged());
  }

  private podServices(node: NodePodServices): PodServices {
    return {
      ...this.services,
      ...node,
      hostsFileFor: (identity) => podHostsFile(identity, this.records),
      attach: (volume, worker) => this.attach(volume, worker),
      sandboxChanged: () => this.namesChanged(),
    };
  }

  async start(): Promise<void> {
    this.pods = await watchCache(
      this.services.kube.config,
      "/api/v1/pods",
      () => this.services.kube.core.listPodForAllNamespaces(),
      (kind, pod) => {
        const node = this.nodes.get(pod.spec?.nodeName ?? "");
        if (!node) return;
        const uid = pod.metadata!.uid!;
        let worker = this.workers.get(uid);
        if (kind === "delete") {
          worker?.update(undefined);
          return;
        }
        if (!worker) {
          worker = new PodWorker(pod, this.podServices(node));
          this.workers.set(uid, worker);
        }
        worker.update(pod);
        this.reapDone();
      },
      (error) => this.services.log(`pod watch failed, retrying: ${error instanceof Error ? error.message : String(error)}`),
    );
    // Secrets, ConfigMaps, labels and tokens change under running pods: their files follow.
    this.refreshTimer = setInterval(() => {
      for (const worker of this.workers.values()) void worker.refreshVolumes().catch(() => undefined);
      this.reapDone();
    }, 30_000);
  }

  private reapDone(): void {
    for (const [uid, worker] of this.workers) if (worker.done) this.workers.delete(uid);
  }

  /**
   * Network volumes (PVs without node affinity) attach to one node at a time, as a cloud disk
   * does: while a pod on another node still holds the volume (its pod object exists, even on a
   * stopped node), a pod elsewhere waits with the kubelet's Multi-Attach message. The volume is
   * free once that pod object is gone (deleted, or force-deleted while its node is down): the
   * runtime plays an attach-detach controller that detaches at once, where Kubernetes' waits up
   * to 6 minutes for a node that does not answer unless it carries the out-of-service taint.
   */
  private readonly attachments = new Map<string, string>();

  private attach(volume: V1PersistentVolume, worker: PodWorker): void {
    if (volume.spec?.nodeAffinity) return;
    const name = volume.metadata!.name!;
    const holder = this.workers.get(this.attachments.get(name) ?? "");
    if (holder && holder !== worker && holder.nodeName !== worker.nodeName && holder.pod && !holder.done) {
      throw new WaitingForVolume(`Multi-Attach error for volume "${name}": Volume is already exclusively attached to node ${holder.nodeName} (pod ${holder.namespace}/${holder.name})`);
    }
    // The holder was force-deleted while its node could not hear it (isolated or stopped): the
    // disk is taken from under its processes, which die of it, so two nodes never write one volume.
    if (holder && holder !== worker && holder.nodeName !== worker.nodeName && !holder.done) {
      this.services.log(`volume ${name} re-attached to ${worker.nodeName}: killing what ${holder.namespace}/${holder.name} still runs on ${holder.nodeName}`);
      void holder.killAll();
    }
    this.attachments.set(name, worker.uid);
  }

  find(namespace: string, name: string): PodWorker | undefined {
    const matches = [...this.workers.values()].filter((w) => w.namespace === namespace && w.name === name && !w.done);
    // A pod force-deleted while its node was down still has a worker there (until the node is
    // back) besides its replacement: the live one wins.
    return matches.find((w) => w.pod && !w.pod.metadata?.deletionTimestamp) ?? matches[0];
  }

  namesChanged(): void {
    if (this.stopped) return;
    clearTimeout(this.hostsTimer);
    this.hostsTimer = setTimeout(() => this.names.trigger(), 30);
  }

  private async writeNames(): Promise<void> {
    this.records = nameRecords(this.view.serviceViews());
    for (const worker of this.workers.values()) {
      const identity = worker.identity();
      if (identity) worker.writeHostsFile(podHostsFile(identity, this.records));
    }
    const lines = hostBlockLines(this.records);
    const block = lines.join("\n");
    if (block === this.lastBlock) return;
    await writeHostsBlock(this.services.slot, lines, this.hostsFile);
    this.lastBlock = block;
  }

  /**
   * Stops watching, kills every container and waits (10 s at most) for the workers' syncs in
   * flight, so that none creates a namespace after the slot's cleanup ran.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.refreshTimer);
    clearTimeout(this.hostsTimer);
    await this.pods?.stop();
    await this.killAll();
    const idle = Promise.all([...this.workers.values()].map((w) => w.idle()));
    await Promise.race([idle, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    await this.names.idle();
  }

  /** The workers of one node (the one its pod was bound to), or of every node. */
  on(node?: string): PodWorker[] {
    return [...this.workers.values()].filter((w) => node === undefined || w.nodeName === node);
  }

  async killAll(node?: string): Promise<void> {
    await Promise.all(this.on(node).map((w) => w.killAll()));
  }

  resumeAll(node?: string): void {
    for (const worker of this.on(node)) worker.resume();
  }
}
