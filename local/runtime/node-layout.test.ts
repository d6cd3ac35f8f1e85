import { describe, expect, it } from "vitest";
import { nodeLayouts } from "./node-layout.js";
import { slotLayout } from "./slot.js";

describe("node layouts", () => {
  it("keep one node's name and whole range", () => {
    expect(nodeLayouts(slotLayout(5), 1)).toEqual([{ index: 0, name: "steward-local", podCidr: "10.244.5.0/24", address: "10.244.5.1", firstOctet: 2, lastOctet: 254 }]);
  });

  it("give each of several nodes its own block, the first address being the node's", () => {
    const nodes = nodeLayouts(slotLayout(5), 3);
    expect(nodes.map((n) => [n.name, n.podCidr, n.address, n.firstOctet, n.lastOctet])).toEqual([
      ["steward-local-1", "10.244.5.0/26", "10.244.5.1", 2, 62],
      ["steward-local-2", "10.244.5.64/26", "10.244.5.65", 66, 126],
      ["steward-local-3", "10.244.5.128/26", "10.244.5.129", 130, 190],
    ]);
    expect(() => nodeLayouts(slotLayout(5), 9)).toThrow(/1\.\.8/);
  });
});
