import { describe, expect, it } from "vitest";
import { cidrsOverlap, hostVethName, slotConflicts, slotLayout } from "./slot.js";

describe("slots", () => {
  it("own one pod and one service /24 each, and names that fit IFNAMSIZ", () => {
    const slot = slotLayout(63);
    expect(slot).toMatchObject({ bridge: "stw63", podCidr: "10.244.63.0/24", gateway: "10.244.63.1", serviceCidr: "10.96.63.0/24" });
    expect(hostVethName(slot, 254).length).toBeLessThanOrEqual(15);
    expect(() => slotLayout(64)).toThrow(/0\.\.63/);
  });

  it("compare CIDRs by their common prefix", () => {
    expect(cidrsOverlap("10.244.3.0/24", "10.0.0.0/8")).toBe(true);
    expect(cidrsOverlap("10.244.3.0/24", "10.244.4.0/24")).toBe(false);
    expect(cidrsOverlap("10.96.3.7/32", "10.96.3.0/24")).toBe(true);
  });

  it("report routes and addresses of others in the slot's ranges, not default routes nor its own", () => {
    const slot = slotLayout(3);
    const routes = [
      { dst: "default", dev: "eth0" },
      { dst: "10.244.3.0/24", dev: "stw3" },
      { dst: "10.0.0.0/8", dev: "tun0" },
      { dst: "192.168.0.0/16", dev: "eth0" },
    ];
    const addresses = [
      { ifname: "stw3", addr_info: [{ family: "inet", local: "10.244.3.1" }] },
      { ifname: "docker0", addr_info: [{ family: "inet", local: "10.96.3.1" }] },
    ];
    expect(slotConflicts(slot, routes, addresses)).toEqual(["route 10.0.0.0/8 dev tun0 overlaps 10.244.3.0/24", "address 10.96.3.1 on docker0 is inside 10.96.3.0/24"]);
  });
});
