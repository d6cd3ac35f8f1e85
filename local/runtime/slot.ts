import { execFileSync } from "node:child_process";

/**
 * Several local clusters can run on one machine at once (the test suite, the playground, other
 * people's test runs). Each owns a slot N (0..63) and everything it creates on the host is
 * named or numbered after it, so that cleanup can remove exactly what one slot owns and
 * nothing of another's.
 */
export interface Slot {
  index: number;
  /** The bridge the pods' veths hang on; its address is the pods' gateway and the node's InternalIP. */
  bridge: string;
  podCidr: string;
  gateway: string;
  serviceCidr: string;
  /** Prefix of network-namespace names ("stwN-...") and of host-side veth names ("stwNp<octet>"). */
  prefix: string;
  hostsBegin: string;
  hostsEnd: string;
  /** The slot's cgroup (under the cgroup2 mount) holding every container's processes. */
  cgroupName: string;
}

export const SLOT_COUNT = 64;
export const SLOT_RUN_DIR = "/run/steward";

export function slotLayout(index: number): Slot {
  if (!Number.isInteger(index) || index < 0 || index >= SLOT_COUNT) throw new Error(`slot must be an integer in 0..${SLOT_COUNT - 1}, got ${index}`);
  return {
    index,
    bridge: `stw${index}`,
    podCidr: `10.244.${index}.0/24`,
    gateway: `10.244.${index}.1`,
    serviceCidr: `10.96.${index}.0/24`,
    prefix: `stw${index}`,
    hostsBegin: `# BEGIN steward-local slot ${index}`,
    hostsEnd: `# END steward-local slot ${index}`,
    cgroupName: `steward-slot${index}`,
  };
}

/** Host-side veth name for the pod holding the address whose last octet is given: at most 15 bytes (IFNAMSIZ). */
export function hostVethName(slot: Slot, octet: number): string {
  return `${slot.prefix}p${octet}`;
}

export function podNetnsName(slot: Slot, namespace: string, name: string, uid: string): string {
  return `${slot.prefix}-${namespace}-${name}-${uid.slice(0, 8)}`;
}

interface Prefix {
  base: number;
  bits: number;
}

export function parseCidr(cidr: string): Prefix {
  const [address, bitsText] = cidr.split("/");
  const octets = (address ?? "").split(".").map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  const value = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (value & mask) >>> 0, bits };
}

export function cidrsOverlap(a: string, b: string): boolean {
  const pa = parseCidr(a);
  const pb = parseCidr(b);
  const bits = Math.min(pa.bits, pb.bits);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((pa.base & mask) >>> 0) === ((pb.base & mask) >>> 0);
}

interface IpRoute {
  dst?: string;
  dev?: string;
  type?: string;
  table?: string;
}

interface IpAddressInfo {
  ifname?: string;
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

/**
 * Routes and addresses on this machine that cover the slot's pod or service range and are not
 * the slot's own. Default routes do not count (the slot's own, more specific routes win over
 * them); anything more specific than a default route does, since traffic for the range would
 * then go where that route says.
 */
export function slotConflicts(slot: Slot, routes: IpRoute[], addresses: IpAddressInfo[]): string[] {
  const ranges = [slot.podCidr, slot.serviceCidr];
  const conflicts: string[] = [];
  for (const route of routes) {
    if (!route.dst || route.dst === "default" || !/^[0-9.]+(\/\d+)?$/.test(route.dst)) continue;
    if (route.dev === slot.bridge) continue;
    if (parseCidr(route.dst).bits === 0) continue;
    // Local-table entries for addresses are reported below with the interface that holds them.
    if (route.table === "local") continue;
    const hit = ranges.find((range) => cidrsOverlap(range, route.dst!));
    if (hit) conflicts.push(`route ${route.type && route.type !== "unicast" ? route.type + " " : ""}${route.dst}${route.dev ? ` dev ${route.dev}` : ""} overlaps ${hit}`);
  }
  for (const link of addresses) {
    if (link.ifname === slot.bridge) continue;
    for (const info of link.addr_info ?? []) {
      if (info.family !== "inet" || !info.local) continue;
      const hit = ranges.find((range) => cidrsOverlap(range, `${info.local}/32`));
      if (hit) conflicts.push(`address ${info.local} on ${link.ifname} is inside ${hit}`);
    }
  }
  return conflicts;
}

/** Reads the machine's routes (all tables) and addresses and reports what conflicts with the slot. */
export function findSlotConflicts(slot: Slot): string[] {
  const routes = JSON.parse(execFileSync("ip", ["-j", "route", "show", "table", "all"]).toString() || "[]") as IpRoute[];
  const addresses = JSON.parse(execFileSync("ip", ["-j", "addr"]).toString() || "[]") as IpAddressInfo[];
  return slotConflicts(slot, routes, addresses);
}
