import { describe, expect, it } from "vitest";
import { hostBlockLines, nameRecords, podHostsFile, recordNames } from "./hosts.js";

describe("names for pods and the host", () => {
  const services = [
    { namespace: "shop", name: "orders", clusterIP: "10.96.3.10", endpoints: [] },
    { namespace: "shop", name: "db", endpoints: [{ ip: "10.244.3.4", hostname: "db-0" }, { ip: "10.244.3.12", hostname: "db-1" }] },
  ];

  it("publishes ClusterIP Services by address and headless ones by endpoint, with pod hostnames", () => {
    expect(nameRecords(services).map((r) => `${r.ip} ${r.label}`)).toEqual(["10.244.3.4 db", "10.244.3.4 db-0.db", "10.244.3.12 db", "10.244.3.12 db-1.db", "10.96.3.10 orders"]);
  });

  it("adds the short forms of the search path only within the same namespace", () => {
    const record = { ip: "10.244.3.4", namespace: "shop", label: "db-0.db" };
    expect(recordNames(record, "shop")).toEqual(["db-0.db.shop.svc.cluster.local", "db-0.db.shop.svc", "db-0.db.shop", "db-0.db"]);
    expect(recordNames(record, "other")).not.toContain("db-0.db");
  });

  it("writes a pod's own FQDN even before any Service publishes it", () => {
    const file = podHostsFile({ namespace: "shop", hostname: "db-2", subdomain: "db", ip: "10.244.3.20" }, nameRecords(services));
    expect(file).toContain("10.244.3.20\tdb-2.db.shop.svc.cluster.local\tdb-2\n");
    expect(file).toContain("10.96.3.10\torders.shop.svc.cluster.local orders.shop.svc orders.shop orders\n");
    expect(file.startsWith("# Kubernetes-managed hosts file")).toBe(true);
  });

  it("gives the host only namespace-qualified names", () => {
    expect(hostBlockLines(nameRecords(services))).toContain("10.96.3.10\torders.shop.svc.cluster.local orders.shop.svc");
  });
});
