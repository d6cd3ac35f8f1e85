import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { V1Container, V1PersistentVolume, V1Pod, V1Service } from "@kubernetes/client-node";
import type { CgroupTree } from "./cgroups.js";
import { ContainerRunner, timestamp, type ContainerHost } from "./container-runner.js";
import type { Mount } from "./containers.js";
import type { PodFacts } from "./downward.js";
import type { EnvContext } from "./env.js";
import { podResolvConf, type PodIdentity } from "./hosts.js";
import { isNotFound, MERGE_PATCH, type KubeClients } from "./kube.js";
import type { PodNetwork } from "./network.js";
import { buildPodStatus, podPhase, statusUnchanged, type PodView } from "./pod-status.js";
import { prepareVolumes, refreshGeneratedVolumes, WaitingForVolume, type VolumeContext } from "./pod-volumes.js";
import { SerialJob } from "./serial.js";
import { podNetnsName, type Slot } from "./slot.js";

/** What every pod worker shares: the node's clients, network and cgroups, and cluster views. */
export interface PodServices {
  kube: KubeClients;
  slot: Slot;
  /** The network of the pod's node: its address block, links cut while the node is isolated. */
  network: PodNetwork;
  cgroups?: CgroupTree;
  nodeName: string;
  runtimeDir: string;
  shimDir: string;
  backoff: { baseMs: number; maxMs: number };
  facts(podIP?: string): PodFacts;
  servicesIn(namespace: string): V1Service[];
  kubernetesService(): V1Service | undefined;
  hostsFileFor(identity: PodIdentity): string;
  sandboxChanged(): void;
  /** Attaches a network volume to this pod's node (throws WaitingForVolume while another node holds it). */
  attach(volume: V1PersistentVolume, worker: PodWorker): void;
  paused(): boolean;
  event(pod: V1Pod, type: "Normal" | "Warning", reason: string, message: string): void;
  log(line: string): void;
}

interface Sandbox {
  netns: string;
  octet: number;
  ip: string;
}

function resourceVersion(pod: V1Pod | undefined): bigint {
  try {
    return BigInt(pod?.metadata?.resourceVersion ?? "0");
  } catch {
    return 0n;
  }
}

/**
 * The kubelet's pod worker for one pod: sandbox (network namespace, address, hosts files,
 * volumes), init containers in order, then the containers; status written through the API
 * whenever what the runtime knows differs from what the API shows; on deletion, containers
 * stopped within the grace period and the pod deleted for good.
 */
export class PodWorker {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly nodeName: string;
  readonly dir: string;
  private latest: V1Pod | undefined;
  /** The last pod seen from the API: containers still exiting after a force deletion read their spec from it. */
  private lastKnown: V1Pod;
  sandbox?: Sandbox;
  private volumes?: Map<string, string>;
  private volumeMessage?: string;
  readonly inits: ContainerRunner[] = [];
  readonly containers: ContainerRunner[] = [];
  private terminalPhase?: "Succeeded" | "Failed";
  /**
   * The pod had already finished when this worker took it over (the runtime restarted): the
   * API holds its final status and the fresh runners know nothing newer. Writing theirs would
   * move terminated containers back to waiting, which the API refuses.
   */
  private readonly finishedBefore: boolean;
  private startTime?: string;
  private isTerminating = false;
  done = false;
  private readonly syncJob = new SerialJob(
    () => this.sync(),
    (error) => {
      this.services.log(`pod ${this.namespace}/${this.name}: ${error instanceof Error ? error.message : String(error)}`);
      setTimeout(() => this.schedule(), 1000).unref();
    },
    () => !this.done,
  );
  private lastHosts = "";
  private readonly tokens = new Map<string, { token: string; refreshAt: number }>();

  constructor(
    pod: V1Pod,
    private readonly services: PodServices,
  ) {
    this.latest = pod;
    this.lastKnown = pod;
    this.uid = pod.metadata!.uid!;
    this.namespace = pod.metadata!.namespace!;
    this.name = pod.metadata!.name!;
    this.nodeName = services.nodeName;
    this.dir = join(services.runtimeDir, "pods", `${this.namespace}_${this.name}_${this.uid}`);
    const host = this.containerHost();
    for (const spec of pod.spec?.initContainers ?? []) this.inits.push(new ContainerRunner(spec, spec.restartPolicy === "Always" ? "sidecar" : "init", host));
    for (const spec of pod.spec?.containers ?? []) this.containers.push(new ContainerRunner(spec, "regular", host));
    const previous = pod.status;
    if (previous?.phase === "Succeeded" || previous?.phase === "Failed") this.terminalPhase = previous.phase;
    this.finishedBefore = this.terminalPhase !== undefined;
    for (const status of [...(previous?.initContainerStatuses ?? []), ...(previous?.containerStatuses ?? [])]) {
      const runner = [...this.inits, ...this.containers].find((r) => r.name === status.name);
      runner?.adoptStatus(status.restartCount ?? 0, Boolean(status.state?.running || status.state?.terminated || status.lastState?.terminated));
    }
    this.startTime = previous?.startTime ? timestamp(new Date(previous.startTime)) : undefined;
  }

  get pod(): V1Pod | undefined {
    return this.latest;
  }

  get hostname(): string {
    return (this.latest?.spec?.hostname ?? this.name).slice(0, 63);
  }

  identity(): PodIdentity | undefined {
    if (!this.sandbox || !this.latest) return undefined;
    const aliases = (this.latest.spec?.hostAliases ?? []).map((a) => ({ ip: a.ip ?? "", hostnames: a.hostnames ?? [] }));
    return { namespace: this.namespace, hostname: this.hostname, subdomain: this.latest.spec?.subdomain, ip: this.sandbox.ip, hostAliases: aliases };
  }

  /** A newer view of the pod from the API (or undefined: it is gone). */
  update(pod: V1Pod | undefined): void {
    if (pod && resourceVersion(pod) < resourceVersion(this.latest)) return;
    this.latest = pod;
    if (pod) this.lastKnown = pod;
    this.schedule();
  }

  schedule(): void {
    this.syncJob.trigger();
  }

  idle(): Promise<void> {
    return this.syncJob.idle();
  }

  private containerHost(): ContainerHost {
    const services = this.services;
    return {
      pod: () => this.latest ?? this.lastKnown,
      podIP: () => this.sandbox?.ip ?? "",
      hostname: () => this.hostname,
      podDir: () => this.dir,
      netns: () => this.sandbox!.netns,
      volumePath: (name) => this.volumes?.get(name),
      podFiles: (): Mount[] => [
        { source: join(this.dir, "etc", "hosts"), target: "/etc/hosts", readOnly: false },
        { source: join(this.dir, "etc", "resolv.conf"), target: "/etc/resolv.conf", readOnly: false },
        { source: join(this.dir, "etc", "hostname"), target: "/etc/hostname", readOnly: false },
      ],
      cgroupFor: (container) => (services.cgroups ? services.cgroups.create(services.slot.cgroupName, this.uid, container) : undefined),
      killCgroup: async (container) => {
        await services.cgroups?.kill(services.slot.cgroupName, this.uid, container);
      },
      envContext: (container: V1Container): EnvContext => ({
        pod: this.latest ?? this.lastKnown,
        container,
        facts: services.facts(this.sandbox?.ip),
        kube: services.kube,
        namespaceServices: services.servicesIn(this.namespace),
        kubernetesService: services.kubernetesService(),
        hostname: this.hostname,
      }),
      shimDir: services.shimDir,
      backoff: services.backoff,
      terminating: () => this.isTerminating,
      paused: () => services.paused(),
      changed: () => this.schedule(),
      event: (type, reason, message) => services.event(this.latest ?? this.lastKnown, type, reason, message),
    };
  }

  private async sync(): Promise<void> {
    if (this.services.paused() || this.done) return;
    const pod = this.latest;
    if (!pod) {
      // Gone from the API without us (force deletion): stop at once.
      this.isTerminating = true;
      await Promise.all([...this.containers, ...this.inits].map((r) => r.stop(0, "force deletion")));
      await this.teardown(true);
      this.done = true;
      return;
    }
    if (pod.metadata?.deletionTimestamp) return this.terminate(pod);
    if (this.terminalPhase) {
      await this.stopSidecarsAndTeardown();
      if (this.finishedBefore) return;
      return this.writeStatus();
    }
    if (!this.sandbox) await this.createSandbox();
    if (!this.volumes) {
      try {
        this.volumes = await prepareVolumes(this.volumeContext());
        this.volumeMessage = undefined;
      } catch (error) {
        if (!(error instanceof WaitingForVolume)) throw error;
        if (this.volumeMessage !== error.message) this.services.event(pod, "Warning", "FailedMount", `MountVolume.SetUp failed: ${error.message}`);
        this.volumeMessage = error.message;
        setTimeout(() => this.schedule(), 1000).unref();
        return this.writeStatus();
      }
    }
    const now = Date.now();
    let initialized = true;
    for (const runner of this.inits) {
      if (runner.role === "sidecar") {
        if (runner.canStart(now)) await runner.start();
        if (!runner.started) {
          initialized = false;
          break;
        }
        continue;
      }
      if (runner.phase.kind === "terminated" && runner.phase.termination.exitCode === 0) continue;
      initialized = false;
      if (runner.canStart(now)) await runner.start();
      break;
    }
    if (initialized) for (const runner of this.containers) if (runner.canStart(Date.now())) await runner.start();
    const phase = podPhase(this.view());
    if (phase === "Succeeded" || phase === "Failed") {
      this.terminalPhase = phase;
      await this.stopSidecarsAndTeardown();
    }
    await this.writeStatus();
  }

  private volumeContext(): VolumeContext {
    return { pod: this.latest!, podDir: this.dir, kube: this.services.kube, facts: this.services.facts(this.sandbox?.ip), tokens: this.tokens, attach: (volume) => this.services.attach(volume, this) };
  }

  private async createSandbox(): Promise<void> {
    const { address, octet } = this.services.network.allocateAddress();
    const netns = podNetnsName(this.services.slot, this.namespace, this.name, this.uid);
    try {
      await this.services.network.createPodNetwork(netns, octet);
    } catch (error) {
      this.services.network.releaseAddress(octet);
      throw error;
    }
    this.sandbox = { netns, octet, ip: address };
    this.startTime ??= timestamp();
    mkdirSync(join(this.dir, "etc"), { recursive: true });
    mkdirSync(join(this.dir, "logs"), { recursive: true });
    writeFileSync(join(this.dir, "etc", "resolv.conf"), podResolvConf(this.namespace));
    writeFileSync(join(this.dir, "etc", "hostname"), this.hostname + "\n");
    this.writeHostsFile(this.services.hostsFileFor(this.identity()!));
    this.services.sandboxChanged();
  }

  /** Rewrites the pod's hosts file in place (it is bind-mounted; a rename would not be seen). */
  writeHostsFile(content: string): void {
    if (!this.sandbox || content === this.lastHosts) return;
    writeFileSync(join(this.dir, "etc", "hosts"), content);
    this.lastHosts = content;
  }

  async refreshVolumes(): Promise<void> {
    if (this.volumes && this.latest && !this.terminalPhase) await refreshGeneratedVolumes(this.volumeContext());
  }

  private async stopSidecarsAndTeardown(): Promise<void> {
    if (!this.sandbox) return;
    for (const runner of [...this.inits].reverse()) await runner.stop(0, "pod completed");
    await this.teardown(false);
  }

  /** Releases the network and processes; the directory (logs, emptyDirs) goes with the pod itself. */
  private async teardown(removeDir: boolean): Promise<void> {
    await this.services.cgroups?.remove(this.services.slot.cgroupName, this.uid);
    if (this.sandbox) {
      await this.services.network.deletePodNetwork(this.sandbox.netns, this.sandbox.octet);
      this.services.network.releaseAddress(this.sandbox.octet);
      this.sandbox = undefined;
      this.services.sandboxChanged();
    }
    if (removeDir) rmSync(this.dir, { recursive: true, force: true });
  }

  private async terminate(pod: V1Pod): Promise<void> {
    this.isTerminating = true;
    const grace = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    const deadline = Date.now() + grace * 1000;
    await Promise.all(this.containers.map((r) => r.stop(grace, "pod deletion")));
    for (const runner of [...this.inits].reverse()) await runner.stop(Math.max(0, Math.ceil((deadline - Date.now()) / 1000)), "pod deletion");
    await this.teardown(false);
    if (!this.terminalPhase) this.terminalPhase = this.containers.every((r) => r.phase.kind === "terminated" && r.phase.termination.exitCode === 0) ? "Succeeded" : "Failed";
    await this.writeStatus().catch(() => undefined);
    try {
      await this.services.kube.core.deleteNamespacedPod({ name: this.name, namespace: this.namespace, gracePeriodSeconds: 0, body: { gracePeriodSeconds: 0, preconditions: { uid: this.uid } } });
    } catch (error) {
      if (!isNotFound(error) && (error as { code?: number }).code !== 409) throw error;
    }
    rmSync(this.dir, { recursive: true, force: true });
    this.done = true;
  }

  view(): PodView {
    const pod = this.latest;
    const waiting = this.volumeMessage ? { kind: "waiting" as const, reason: "ContainerCreating", message: this.volumeMessage } : undefined;
    const records = (runners: ContainerRunner[]) => runners.map((r) => ({ ...r.record(), ...(waiting && r.phase.kind === "waiting" ? { phase: waiting } : {}) }));
    return {
      generation: pod?.metadata?.generation,
      hostIP: this.services.facts().hostIP,
      podIP: this.sandbox?.ip ?? pod?.status?.podIP,
      startTime: this.startTime,
      sandboxReady: Boolean(this.sandbox) && !this.terminalPhase,
      initContainers: records(this.inits),
      containers: records(this.containers),
      readinessGates: (pod?.spec?.readinessGates ?? []).map((g) => g.conditionType),
      terminalPhase: this.terminalPhase,
    };
  }

  private async writeStatus(): Promise<void> {
    const pod = this.latest;
    if (!pod || this.services.paused()) return;
    const status = buildPodStatus(this.view(), pod.status, timestamp());
    if (statusUnchanged(status, pod.status)) return;
    try {
      const updated = await this.services.kube.core.patchNamespacedPodStatus({ name: this.name, namespace: this.namespace, body: { status } }, MERGE_PATCH);
      if (resourceVersion(updated) > resourceVersion(this.latest)) this.latest = updated;
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
  }

  runner(container?: string): ContainerRunner {
    const all = [...this.containers, ...this.inits];
    const runner = container ? all.find((r) => r.name === container) : this.containers[0];
    if (!runner) throw new Error(`pod ${this.namespace}/${this.name} has no container ${container ?? ""}`);
    return runner;
  }

  /** Node stopped: every process dies at once, no hooks, no grace (a power cut). */
  async killAll(): Promise<void> {
    await Promise.all([...this.containers, ...this.inits].map((r) => (r.running ? r.crash().catch(() => undefined) : undefined)));
  }

  resume(): void {
    for (const runner of [...this.containers, ...this.inits]) runner.resetBackoff();
    this.schedule();
  }
}
