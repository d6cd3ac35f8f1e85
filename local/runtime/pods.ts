import type { V1Pod } from "@kubernetes/client-node";
import type { ClusterView } from "./cluster-view.js";
import { hostBlockLines, nameRecords, podHostsFile, type NameRecord } from "./hosts.js";
import { watchCache, type WatchedCache } from "./kube.js";
import { PodWorker, type PodServices } from "./pod-worker.js";
import { SerialJob } from "./serial.js";
import { writeHostsBlock } from "./slot-lease.js";

/**
 * The pods bound to this node, one worker each, and the names they see: every change to the
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
    private readonly services: Omit<PodServices, "hostsFileFor" | "sandboxChanged">,
    private readonly view: ClusterView,
    private readonly hostsFile: string,
  ) {
    view.onChange(() => this.namesChanged());
  }

  private podServices(): PodServices {
    return {
      ...this.services,
      hostsFileFor: (identity) => podHostsFile(identity, this.records),
      sandboxChanged: () => this.namesChanged(),
    };
  }

  async start(): Promise<void> {
    const services = this.podServices();
    this.pods = await watchCache(
      this.services.kube.config,
      "/api/v1/pods",
      () => this.services.kube.core.listPodForAllNamespaces(),
      (kind, pod) => {
        if (pod.spec?.nodeName !== this.services.nodeName) return;
        const uid = pod.metadata!.uid!;
        let worker = this.workers.get(uid);
        if (kind === "delete") {
          worker?.update(undefined);
          return;
        }
        if (!worker) {
          worker = new PodWorker(pod, services);
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

  find(namespace: string, name: string): PodWorker | undefined {
    const matches = [...this.workers.values()].filter((w) => w.namespace === namespace && w.name === name && !w.done);
    return matches.find((w) => !w.pod?.metadata?.deletionTimestamp) ?? matches[0];
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

  async killAll(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.killAll()));
  }

  resumeAll(): void {
    for (const worker of this.workers.values()) worker.resume();
  }
}
