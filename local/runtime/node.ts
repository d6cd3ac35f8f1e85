import { arch, hostname, release } from "node:os";
import type { V1Node } from "@kubernetes/client-node";
import { pinnedKubernetesVersion } from "../controlplane/binaries.js";
import { timestamp } from "./container-runner.js";
import { isConflict, isNotFound, MERGE_PATCH, type KubeClients } from "./kube.js";
import type { NodeLayout } from "./node-layout.js";
import type { Slot } from "./slot.js";

/**
 * A playground node, not a measurement of this machine: capacity large enough that the engine
 * pods' production requests (cpu 500m, memory 1Gi and more, times replicas) schedule on a
 * 2-core test machine. Nothing enforces these numbers; containers are not limited.
 */
export const NODE_CAPACITY = { cpu: "64", memory: "256Gi", pods: "250", "ephemeral-storage": "1Ti" } as const;

const LEASE_SECONDS = 40;

/**
 * The Node object and its heartbeats, as the kubelet keeps them: a Lease in kube-node-lease
 * renewed every few seconds and the Ready condition's heartbeat in the Node status. Stopping
 * the heartbeats (a node fault) lets kube-controller-manager find the node unreachable after
 * its grace period and mark the node and its pods NotReady, exactly as with a dead kubelet.
 */
export class NodeAgent {
  private leaseTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly kube: KubeClients,
    private readonly layout: NodeLayout,
    private readonly slot: Slot,
    private readonly log: (line: string) => void,
    private readonly leaseIntervalMs = 5000,
  ) {}

  get name(): string {
    return this.layout.name;
  }

  get heartbeating(): boolean {
    return this.running;
  }

  private conditions(now: string): Record<string, unknown>[] {
    const ok = (type: string, reason: string, message: string) => ({ type, status: "False", reason, message, lastHeartbeatTime: now, lastTransitionTime: now });
    return [
      ok("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
      ok("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
      ok("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
      { type: "Ready", status: "True", reason: "KubeletReady", message: "Steward local runtime is posting ready status", lastHeartbeatTime: now, lastTransitionTime: now },
    ];
  }

  private status(now: string): Record<string, unknown> {
    return {
      capacity: NODE_CAPACITY,
      allocatable: NODE_CAPACITY,
      conditions: this.conditions(now),
      addresses: [
        { type: "InternalIP", address: this.layout.address },
        { type: "Hostname", address: this.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
      nodeInfo: {
        machineID: "",
        systemUUID: "",
        bootID: "",
        kernelVersion: release(),
        osImage: `Steward local runtime on ${hostname()}`,
        containerRuntimeVersion: "steward-process://0.1.0",
        kubeletVersion: pinnedKubernetesVersion(),
        kubeProxyVersion: "",
        operatingSystem: "linux",
        architecture: arch() === "x64" ? "amd64" : arch(),
      },
    };
  }

  async register(): Promise<void> {
    const labels = {
      "kubernetes.io/hostname": this.name,
      "kubernetes.io/os": "linux",
      "kubernetes.io/arch": arch() === "x64" ? "amd64" : arch(),
      "node.kubernetes.io/instance-type": "steward-local",
      "steward.dev/local-slot": String(this.slot.index),
    };
    const node: V1Node = { apiVersion: "v1", kind: "Node", metadata: { name: this.name, labels }, spec: { podCIDR: this.layout.podCidr, podCIDRs: [this.layout.podCidr] } };
    try {
      await this.kube.core.createNode({ body: node });
      this.log(`registered node ${this.name}`);
    } catch (error) {
      if (!isConflict(error)) throw error;
      await this.kube.core.patchNode({ name: this.name, body: { metadata: { labels } } }, MERGE_PATCH);
    }
    await this.start();
  }

  /** Starts (or restarts, after a node fault) the heartbeats; the first ones go out at once. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.postStatus();
    await this.renewLease();
    this.leaseTimer = setInterval(() => void this.renewLease().catch((e: unknown) => this.log(`lease renewal failed: ${String(e)}`)), this.leaseIntervalMs);
    this.statusTimer = setInterval(() => void this.postStatus().catch((e: unknown) => this.log(`node status update failed: ${String(e)}`)), 10_000);
  }

  /** Stops the heartbeats (the node fault, or shutdown). */
  stop(): void {
    this.running = false;
    clearInterval(this.leaseTimer);
    clearInterval(this.statusTimer);
  }

  async postStatus(): Promise<void> {
    if (!this.running) return;
    const now = timestamp();
    const current = await this.kube.core.readNodeStatus({ name: this.name });
    const status = this.status(now);
    // lastTransitionTime only moves when a condition flips.
    for (const condition of status.conditions as { type: string; status: string; lastTransitionTime: string }[]) {
      const before = current.status?.conditions?.find((c) => c.type === condition.type);
      if (before?.status === condition.status && before.lastTransitionTime) condition.lastTransitionTime = timestamp(new Date(before.lastTransitionTime));
    }
    await this.kube.core.patchNodeStatus({ name: this.name, body: { status } }, MERGE_PATCH);
  }

  private async renewLease(): Promise<void> {
    if (!this.running) return;
    const now = new Date().toISOString().replace("Z", "000Z");
    const body = { metadata: { name: this.name, namespace: "kube-node-lease" }, spec: { holderIdentity: this.name, leaseDurationSeconds: LEASE_SECONDS, renewTime: now } };
    try {
      await this.kube.coordination.patchNamespacedLease({ name: this.name, namespace: "kube-node-lease", body }, MERGE_PATCH);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      const node = await this.kube.core.readNode({ name: this.name });
      await this.kube.coordination.createNamespacedLease({
        namespace: "kube-node-lease",
        body: { metadata: { ...body.metadata, ownerReferences: [{ apiVersion: "v1", kind: "Node", name: this.name, uid: node.metadata!.uid! }] }, spec: { holderIdentity: this.name, leaseDurationSeconds: LEASE_SECONDS } },
      });
      // renewTime is a MicroTime, which the typed create cannot carry as a string: patched in.
      await this.kube.coordination.patchNamespacedLease({ name: this.name, namespace: "kube-node-lease", body }, MERGE_PATCH);
    }
  }
}
