import { mkdirSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import type { V1Pod } from "@kubernetes/client-node";
import { repositoryRoot } from "../repository.js";
import { CgroupTree, cgroup2Root } from "./cgroups.js";
import { ClusterView } from "./cluster-view.js";
import type { ContainerRef, ExecRequest, ExecResponse, NetworkFault, NodeFault, NodeState, PodInfo, PodRef, RuntimeStatus } from "./control-api.js";
import { serveControl, type ControlTarget } from "./control-server.js";
import { kubeClients, type KubeClients } from "./kube.js";
import { SlotNetwork } from "./network.js";
import { nodeLayouts, type NodeLayout } from "./node-layout.js";
import { NODE_CAPACITY, NodeAgent } from "./node.js";
import { PodManager, type NodePodServices } from "./pods.js";
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
  /** How many nodes the runtime plays (1..8): one name, Lease, status, pod set and address block each. */
  nodes?: number;
  hostsFile?: string;
  /** Restart backoff: the kubelet's 10 s doubling to 5 min; tests shorten the base. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  log?: (line: string) => void;
}

export interface RunningRuntime extends ControlTarget {
  slot: Slot;
  nodeNames: string[];
  socketPath: string;
  stop(): Promise<void>;
}

/** `steward` on every container's PATH runs this repository's CLI with the runtime's own Node. */
function writeShim(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "steward"), `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(join(repositoryRoot(), "bin", "steward.js"))} "$@"\n`, { mode: 0o755 });
}

/** One node the runtime plays, and its fault state. */
interface PlayedNode {
  layout: NodeLayout;
  agent: NodeAgent;
  state: NodeState;
  services: NodePodServices;
}

/**
 * The process runtime for the slot's nodes (one process for all of them: a node is a Node
 * object with its heartbeats, the pods bound to it and a block of addresses): registers the
 * Nodes, runs the pods bound to each, provisions their volumes, serves their Services and
 * names, and answers the control socket. Stopping it stops every pod and removes everything
 * the slot created on the host.
 */
export async function startRuntime(options: RuntimeOptions): Promise<RunningRuntime> {
  const log = options.log ?? (() => {});
  if (process.getuid?.() !== 0) throw new Error("the local runtime needs root (network and mount namespaces, bind mounts, cgroups)");
  const { slot, stateDir } = options;
  const layouts = nodeLayouts(slot, options.nodes ?? 1);
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

  let stopping = false;
  const cuts = new Set<string>();
  const view = new ClusterView(kube, log);
  const server = new URL(kube.config.getCurrentCluster()?.server ?? "https://127.0.0.1:6443");
  const proxy = new ServiceProxy(view, network, log, { host: server.hostname, port: Number(server.port || 443) });
  const provisioner = new VolumeProvisioner(kube, join(stateDir, "volumes"), log);
  const recentEvents = new Map<string, number>();
  const event = (nodeName: string, pod: V1Pod, type: "Normal" | "Warning", reason: string, message: string) => {
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
  const nodes = new Map<string, PlayedNode>();
  for (const layout of layouts) {
    const played: PlayedNode = {
      layout,
      agent: new NodeAgent(kube, layout, slot, log),
      state: "running",
      services: {
        nodeName: layout.name,
        network: network.forNode(layout, () => played.state === "isolated"),
        facts: (podIP) => ({ podIP, hostIP: layout.address, nodeName: layout.name, nodeAllocatable: NODE_CAPACITY }),
        // A stopped node runs nothing; an isolated one keeps its processes but, like a kubelet
        // cut off from the API server, writes no status and takes no new orders until restored.
        paused: () => stopping || played.state !== "running",
        event: (pod, type, reason, message) => {
          if (!stopping && played.state === "running") event(layout.name, pod, type, reason, message);
        },
      },
    };
    nodes.set(layout.name, played);
  }
  const pods = new PodManager(
    {
      kube,
      slot,
      cgroups,
      runtimeDir,
      shimDir,
      backoff: { baseMs: options.backoffBaseMs ?? 10_000, maxMs: options.backoffMaxMs ?? 300_000 },
      servicesIn: (namespace) => view.servicesIn(namespace),
      kubernetesService: () => view.service("default", "kubernetes"),
      log,
    },
    new Map([...nodes].map(([name, played]) => [name, played.services])),
    view,
    hostsFile,
  );
  view.onChange(() => proxy.sync());

  let control: Server | undefined;
  const stop = async () => {
    stopping = true;
    for (const played of nodes.values()) played.agent.stop();
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
    if (!found) throw new Error(`pod ${ref.namespace}/${ref.pod} not found on any node of the runtime`);
    return found;
  };
  const target: ControlTarget = {
    status: (): RuntimeStatus => ({
      pid: process.pid,
      slot: slot.index,
      nodeName: layouts[0]!.name,
      node: [...nodes.values()].every((n) => n.state === "stopped") ? "stopped" : "running",
      nodes: [...nodes.values()].map((n) => ({ name: n.layout.name, state: n.state, address: n.layout.address, podCidr: n.layout.podCidr, pods: pods.on(n.layout.name).length })),
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
        nodeName: w.nodeName,
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
      const targets = fault.node === undefined ? [...nodes.values()] : [nodes.get(fault.node)];
      for (const played of targets) {
        if (!played) throw new Error(`no node ${fault.node}; the runtime plays ${layouts.map((l) => l.name).join(", ")}`);
        await setNodeState(played, fault.state);
      }
    },
    exec: async (request: ExecRequest): Promise<ExecResponse> => worker(request).runner(request.container).exec(request.command, request.timeoutMs ?? 30_000),
  };

  /** Every pod link of the node down (isolate) or back up, except pods cut one by one. */
  const setNodeLinks = async (played: PlayedNode, up: boolean) => {
    for (const worker of pods.on(played.layout.name)) {
      if (worker.sandbox && !(up && cuts.has(worker.uid))) await network.setPodLink(worker.sandbox.octet, up).catch(() => undefined);
    }
  };
  const setNodeState = async (played: PlayedNode, state: NodeFault["state"]) => {
    const name = played.layout.name;
    if (state === "stop" && played.state !== "stopped") {
      played.state = "stopped";
      played.agent.stop();
      await pods.killAll(name);
      log(`node ${name} stopped: heartbeats and every pod process`);
    } else if (state === "isolate" && played.state === "running") {
      played.state = "isolated";
      played.agent.stop();
      await setNodeLinks(played, false);
      log(`node ${name} isolated: heartbeats and its pods' links cut, processes alive`);
    } else if ((state === "start" && played.state === "stopped") || (state === "restore" && played.state === "isolated")) {
      if (played.state === "isolated") await setNodeLinks(played, true);
      played.state = "running";
      await played.agent.start();
      pods.resumeAll(name);
      log(`node ${name} ${state === "start" ? "started again" : "restored"}`);
    } else if (state === "start" && played.state === "isolated") {
      throw new Error(`node ${name} is isolated, not stopped: restore it`);
    } else if (state === "restore" && played.state === "stopped") {
      throw new Error(`node ${name} is stopped, not isolated: start it`);
    }
  };

  try {
    await provisioner.start();
    await view.start();
    proxy.sync();
    for (const played of nodes.values()) {
      await network.addNodeAddress(played.layout.address);
      await played.agent.register();
    }
    await removeStaleNodes(kube, slot, layouts, log);
    await pods.start();
    control = await serveControl(socketPath, target, log);
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  log(`runtime ready: node${layouts.length > 1 ? "s" : ""} ${layouts.map((l) => `${l.name} (${l.podCidr})`).join(", ")}, pods on ${slot.bridge}, control socket ${socketPath}`);
  return { ...target, slot, nodeNames: layouts.map((l) => l.name), socketPath, stop };
}

/**
 * Nodes this slot registered on an earlier run with another node count (the state dir keeps
 * etcd): deleted, so the scheduler does not wait on them and their pods are garbage-collected.
 */
async function removeStaleNodes(kube: KubeClients, slot: Slot, layouts: NodeLayout[], log: (line: string) => void): Promise<void> {
  const current = new Set(layouts.map((l) => l.name));
  const listed = await kube.core.listNode({ labelSelector: `steward.dev/local-slot=${slot.index}` });
  for (const node of listed.items) {
    const name = node.metadata?.name;
    if (!name || current.has(name)) continue;
    await kube.core.deleteNode({ name }).catch(() => undefined);
    log(`removed node ${name}, left from a run with another node count`);
  }
}
