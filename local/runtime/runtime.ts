import { mkdirSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import type { V1Pod } from "@kubernetes/client-node";
import { repositoryRoot } from "../repository.js";
import { CgroupTree, cgroup2Root } from "./cgroups.js";
import { ClusterView } from "./cluster-view.js";
import type { ContainerRef, ExecRequest, ExecResponse, NetworkFault, NodeFault, PodInfo, PodRef, RuntimeStatus } from "./control-api.js";
import { serveControl, type ControlTarget } from "./control-server.js";
import { kubeClients } from "./kube.js";
import { SlotNetwork } from "./network.js";
import { NODE_CAPACITY, NodeAgent } from "./node.js";
import { PodManager } from "./pods.js";
import { ServiceProxy } from "./service-proxy.js";
import { cleanupSlot, shellQuote } from "./slot-lease.js";
import { hostVethName, type Slot } from "./slot.js";
import { VolumeProvisioner } from "./volumes.js";

export interface RuntimeOptions {
  /** A kubeconfig with the rights of kubelet, volume provisioner and kube-proxy together. */
  kubeconfig: string;
  /** The cluster's state directory: pods under runtime/, PV data under volumes/, the control socket. */
  stateDir: string;
  /** The slot acquired for this cluster (its bridge, CIDRs and names). */
  slot: Slot;
  nodeName?: string;
  hostsFile?: string;
  /** Restart backoff: the kubelet's 10 s doubling to 5 min; tests shorten the base. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  log?: (line: string) => void;
}

export interface RunningRuntime extends ControlTarget {
  slot: Slot;
  nodeName: string;
  socketPath: string;
  stop(): Promise<void>;
}

/** `steward` on every container's PATH runs this repository's CLI with the runtime's own Node. */
function writeShim(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "steward"), `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(join(repositoryRoot(), "bin", "steward.js"))} "$@"\n`, { mode: 0o755 });
}

/**
 * The process runtime for one node: registers the Node, runs the pods bound to it, provisions
 * their volumes, serves their Services and names, and answers the control socket. Stopping it
 * stops every pod and removes everything the slot created on the host.
 */
export async function startRuntime(options: RuntimeOptions): Promise<RunningRuntime> {
  const log = options.log ?? (() => {});
  if (process.getuid?.() !== 0) throw new Error("the local runtime needs root (network and mount namespaces, bind mounts, cgroups)");
  const { slot, stateDir } = options;
  const nodeName = options.nodeName ?? "steward-local";
  const hostsFile = options.hostsFile ?? "/etc/hosts";
  const runtimeDir = join(stateDir, "runtime");
  const shimDir = join(runtimeDir, "bin");
  const socketPath = join(stateDir, "runtime.sock");
  mkdirSync(runtimeDir, { recursive: true });
  writeShim(shimDir);

  const kube = kubeClients(options.kubeconfig);
  const network = new SlotNetwork(slot);
  const cgroupRoot = cgroup2Root();
  if (!cgroupRoot) log("no cgroup2 mount found: containers are tracked by process group, and processes that leave it survive a container kill");
  const cgroups = cgroupRoot ? new CgroupTree(cgroupRoot) : undefined;
  cgroups?.create(slot.cgroupName);
  await network.up();

  let paused = false;
  const cuts = new Set<string>();
  const view = new ClusterView(kube, log);
  const server = new URL(kube.config.getCurrentCluster()?.server ?? "https://127.0.0.1:6443");
  const proxy = new ServiceProxy(view, network, log, { host: server.hostname, port: Number(server.port || 443) });
  const node = new NodeAgent(kube, nodeName, slot, log);
  const provisioner = new VolumeProvisioner(kube, join(stateDir, "volumes"), log);
  const recentEvents = new Map<string, number>();
  const event = (pod: V1Pod, type: "Normal" | "Warning", reason: string, message: string) => {
    if (paused) return;
    const key = `${pod.metadata?.uid} ${reason} ${message}`;
    if ((recentEvents.get(key) ?? 0) > Date.now() - 60_000) return;
    recentEvents.set(key, Date.now());
    if (recentEvents.size > 5000) recentEvents.clear();
    const now = new Date();
    void kube.core
      .createNamespacedEvent({
        namespace: pod.metadata!.namespace!,
        body: {
          metadata: { generateName: `${pod.metadata!.name}.` },
          involvedObject: { apiVersion: "v1", kind: "Pod", name: pod.metadata!.name, namespace: pod.metadata!.namespace, uid: pod.metadata!.uid },
          reason,
          message,
          type,
          source: { component: "kubelet", host: nodeName },
          reportingComponent: "kubelet",
          reportingInstance: nodeName,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      })
      .catch(() => undefined);
  };
  const pods = new PodManager(
    {
      kube,
      slot,
      network,
      cgroups,
      nodeName,
      runtimeDir,
      shimDir,
      backoff: { baseMs: options.backoffBaseMs ?? 10_000, maxMs: options.backoffMaxMs ?? 300_000 },
      facts: (podIP) => ({ podIP, hostIP: slot.gateway, nodeName, nodeAllocatable: NODE_CAPACITY }),
      servicesIn: (namespace) => view.servicesIn(namespace),
      kubernetesService: () => view.service("default", "kubernetes"),
      paused: () => paused,
      event,
      log,
    },
    view,
    hostsFile,
  );
  view.onChange(() => proxy.sync());

  let control: Server | undefined;
  const stop = async () => {
    paused = true;
    node.stop();
    control?.close();
    await pods.stop();
    await proxy.stop();
    await provisioner.stop();
    await view.stop();
    // One cleanup for every exit path: the same script the watchdog runs after a crash.
    await cleanupSlot(slot, hostsFile);
  };

  const worker = (ref: PodRef) => {
    const found = pods.find(ref.namespace, ref.pod);
    if (!found) throw new Error(`pod ${ref.namespace}/${ref.pod} not found on node ${nodeName}`);
    return found;
  };
  const target: ControlTarget = {
    status: (): RuntimeStatus => ({
      pid: process.pid,
      slot: slot.index,
      nodeName,
      node: paused ? "stopped" : "running",
      bridge: slot.bridge,
      podCidr: slot.podCidr,
      serviceCidr: slot.serviceCidr,
      pods: pods.workers.size,
      proxiedConnections: proxy.connections,
      rssBytes: process.memoryUsage.rss(),
    }),
    pods: (): PodInfo[] =>
      [...pods.workers.values()].map((w) => ({
        namespace: w.namespace,
        name: w.name,
        uid: w.uid,
        ip: w.sandbox?.ip,
        netns: w.sandbox?.netns,
        hostVeth: w.sandbox ? hostVethName(slot, w.sandbox.octet) : undefined,
        phase: w.pod?.status?.phase ?? "Pending",
        networkCut: cuts.has(w.uid),
        containers: [...w.inits, ...w.containers].map((r) => ({
          name: r.name,
          pid: r.running?.pid,
          state: r.phase.kind,
          reason: r.phase.kind === "waiting" ? r.phase.reason : r.phase.kind === "terminated" ? r.phase.termination.reason : undefined,
          restartCount: r.restartCount,
          ready: r.ready,
          logFile: join(w.dir, "logs", `${r.name}.log`),
        })),
      })),
    crash: async (ref: ContainerRef) => worker(ref).runner(ref.container).crash(),
    killPod: async (ref: PodRef) => worker(ref).killAll(),
    network: async (fault: NetworkFault) => {
      const found = worker(fault);
      if (!found.sandbox) throw new Error(`pod ${fault.namespace}/${fault.pod} is not running`);
      await network.setPodLink(found.sandbox.octet, fault.state === "restore");
      if (fault.state === "cut") cuts.add(found.uid);
      else cuts.delete(found.uid);
    },
    node: async (fault: NodeFault) => {
      if (fault.state === "stop" && !paused) {
        paused = true;
        node.stop();
        await pods.killAll();
        log("node stopped: heartbeats and every pod process");
      } else if (fault.state === "start" && paused) {
        paused = false;
        await node.start();
        pods.resumeAll();
        log("node started again");
      }
    },
    exec: async (request: ExecRequest): Promise<ExecResponse> => worker(request).runner(request.container).exec(request.command, request.timeoutMs ?? 30_000),
  };

  try {
    await provisioner.start();
    await view.start();
    proxy.sync();
    await node.register();
    await pods.start();
    control = await serveControl(socketPath, target, log);
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  log(`runtime ready: node ${nodeName}, pods on ${slot.bridge} (${slot.podCidr}), control socket ${socketPath}`);
  return { ...target, slot, nodeName, socketPath, stop };
}
