import type { Slot } from "./slot.js";

/**
 * One node of the slot: its name, its own block of the slot's pod /24 (as a CNI gives each
 * node a podCIDR) and its InternalIP, the block's first address. All pods still hang on the
 * slot's one bridge (layer 2, no forwarding needed); "the node's network" is the set of its
 * pods' links, which a node fault cuts together.
 */
export interface NodeLayout {
  index: number;
  name: string;
  podCidr: string;
  address: string;
  /** Pod addresses are this node's `<prefix>.<octet>` for octet in first..last. */
  firstOctet: number;
  lastOctet: number;
}

export const MAX_NODES = 8;
export const SINGLE_NODE_NAME = "steward-local";

/**
 * One node keeps the name and the whole /24 it always had; N nodes are steward-local-1..N with
 * a power-of-two block each (3 nodes: /26 blocks, 61 pod addresses per node).
 */
export function nodeLayouts(slot: Slot, count: number): NodeLayout[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_NODES) throw new Error(`nodes must be an integer in 1..${MAX_NODES}, got ${count}`);
  const prefix = slot.podCidr.split(".").slice(0, 3).join(".");
  if (count === 1) return [{ index: 0, name: SINGLE_NODE_NAME, podCidr: slot.podCidr, address: slot.gateway, firstOctet: 2, lastOctet: 254 }];
  const blocks = 2 ** Math.ceil(Math.log2(count));
  const size = 256 / blocks;
  const bits = 24 + Math.log2(blocks);
  return Array.from({ length: count }, (_, index) => {
    const base = index * size;
    return {
      index,
      name: `${SINGLE_NODE_NAME}-${index + 1}`,
      podCidr: `${prefix}.${base}/${bits}`,
      address: `${prefix}.${base + 1}`,
      firstOctet: base + 2,
      lastOctet: base + size - 2,
    };
  });
}
