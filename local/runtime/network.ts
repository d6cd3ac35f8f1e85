import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import type { NodeLayout } from "./node-layout.js";
import { hostVethName, type Slot } from "./slot.js";

const execFileAsync = promisify(execFile);

async function ip(...args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync("ip", args);
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`ip ${args.join(" ")} failed${stderr ? `: ${stderr}` : ""}`, { cause: error });
  }
}

/**
 * The slot's network: a bridge whose address is the pods' gateway, one network namespace per
 * pod on a veth pair, and Service ClusterIPs as /32 addresses on the bridge for the proxy to
 * listen on. Host forwarding stays off and pods get no default route: pods reach each other on
 * the bridge (layer 2), the host and the ClusterIPs as local addresses of the host, and nothing
 * else. Unreachable routes over both ranges make sure no packet for an address the runtime did
 * not create can leave through another interface, even with the bridge down.
 */
/** What a pod worker needs of the network: addresses from its node's block and its namespace. */
export interface PodNetwork {
  allocateAddress(): { address: string; octet: number };
  releaseAddress(octet: number): void;
  createPodNetwork(netns: string, octet: number): Promise<void>;
  deletePodNetwork(netns: string, octet: number): Promise<void>;
}

export class SlotNetwork {
  private readonly used = new Set<number>();
  /** Last octet handed out, per node block (keyed by the block's first octet). */
  private readonly last = new Map<number, number>();

  constructor(readonly slot: Slot) {}

  private get podPrefix(): string {
    return this.slot.podCidr.split(".").slice(0, 3).join(".");
  }

  async up(): Promise<void> {
    const { bridge, gateway, podCidr, serviceCidr } = this.slot;
    await ip("link", "add", bridge, "type", "bridge");
    // A fixed MAC: otherwise the bridge takes the lowest MAC of its ports and changes it as pods
    // come and go, leaving the pods' ARP entries for the gateway stale.
    await ip("link", "set", bridge, "address", `02:73:74:77:00:${this.slot.index.toString(16).padStart(2, "0")}`);
    await ip("addr", "add", `${gateway}/24`, "dev", bridge);
    await ip("link", "set", bridge, "up");
    await ip("route", "add", "unreachable", serviceCidr);
    // Below the bridge's own connected route (metric 0): it only matters if that one is gone.
    await ip("route", "add", "unreachable", podCidr, "metric", "4000");
  }

  /** A node's own InternalIP (not the first node's: that one is the gateway) as a /32 on the bridge. */
  async addNodeAddress(address: string): Promise<void> {
    if (address !== this.slot.gateway) await ip("addr", "replace", `${address}/32`, "dev", this.slot.bridge);
  }

  /** Round-robin within the block, like host-local IPAM: a released address is reused as late as possible. */
  allocateAddress(first = 2, last = 254): { address: string; octet: number } {
    const size = last - first + 1;
    const previous = this.last.get(first) ?? first - 1;
    for (let step = 1; step <= size; step++) {
      const octet = ((previous - first + step) % size) + first;
      if (this.used.has(octet)) continue;
      this.used.add(octet);
      this.last.set(first, octet);
      return { address: `${this.podPrefix}.${octet}`, octet };
    }
    throw new Error(`no free pod address left in ${this.podPrefix}.${first}-${last}`);
  }

  /**
   * The network as one node's pods see it: addresses from the node's block, and links created
   * down while the node is isolated (a partitioned machine's new pods are cut off too).
   */
  forNode(node: NodeLayout, isolated: () => boolean): PodNetwork {
    return {
      allocateAddress: () => this.allocateAddress(node.firstOctet, node.lastOctet),
      releaseAddress: (octet) => this.releaseAddress(octet),
      createPodNetwork: async (netns, octet) => {
        await this.createPodNetwork(netns, octet);
        if (isolated()) await this.setPodLink(octet, false);
      },
      deletePodNetwork: (netns, octet) => this.deletePodNetwork(netns, octet),
    };
  }

  releaseAddress(octet: number): void {
    this.used.delete(octet);
  }

  /** Creates the pod's namespace with eth0 = address/24, lo up and only a route to the Service range. */
  async createPodNetwork(netns: string, octet: number): Promise<void> {
    const address = `${this.podPrefix}.${octet}`;
    const veth = hostVethName(this.slot, octet);
    if (existsSync(`/run/netns/${netns}`)) await this.deletePodNetwork(netns, octet);
    await ip("netns", "add", netns);
    try {
      // The pod's MAC follows from its address (as Docker does), so a neighbour's ARP entry
      // stays right when an address is reused by a new pod.
      const mac = `02:42:0a:f4:${this.slot.index.toString(16).padStart(2, "0")}:${octet.toString(16).padStart(2, "0")}`;
      await ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "address", mac, "netns", netns);
      await ip("link", "set", veth, "master", this.slot.bridge, "up");
      await ip("-n", netns, "addr", "add", `${address}/24`, "dev", "eth0");
      await ip("-n", netns, "link", "set", "lo", "up");
      await ip("-n", netns, "link", "set", "eth0", "up");
      await ip("-n", netns, "route", "add", this.slot.serviceCidr, "via", this.slot.gateway, "dev", "eth0");
    } catch (error) {
      await this.deletePodNetwork(netns, octet);
      throw error;
    }
  }

  async deletePodNetwork(netns: string, octet: number): Promise<void> {
    // Deleting the namespace destroys its end of the veth pair, which takes the host end with it.
    if (existsSync(`/run/netns/${netns}`)) await ip("netns", "del", netns).catch(() => undefined);
    await ip("link", "del", hostVethName(this.slot, octet)).catch(() => undefined);
  }

  /** Fault injection: the pod's link goes down (nothing in or out) or comes back. */
  async setPodLink(octet: number, up: boolean): Promise<void> {
    await ip("link", "set", hostVethName(this.slot, octet), up ? "up" : "down");
  }

  async addClusterIp(address: string): Promise<void> {
    await ip("addr", "replace", `${address}/32`, "dev", this.slot.bridge);
  }

  async removeClusterIp(address: string): Promise<void> {
    await ip("addr", "del", `${address}/32`, "dev", this.slot.bridge).catch(() => undefined);
  }
}
