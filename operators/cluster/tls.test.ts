import { describe, expect, it } from "vitest";
import { buildCertificate, serverNames, tlsStatus, type ClusterTls } from "./tls.js";
import type { DatabaseCluster } from "../../shared/api/index.js";

const cluster = { apiVersion: "steward.dev/v1alpha1", kind: "DatabaseCluster", metadata: { name: "orders", namespace: "shop", uid: "u-1" }, spec: { engine: "mysql" } } as unknown as DatabaseCluster;
const DAY = 86_400_000;
const now = new Date("2026-06-01T00:00:00Z");
const tls = (extra: Partial<ClusterTls> = {}): ClusterTls => ({ secretName: "orders-tls", required: false, caPem: "ca", issuer: "operator-ca", notAfter: new Date(now.getTime() + 80 * DAY), renewAt: new Date(now.getTime() + 50 * DAY), ...extra });

describe("the server certificate's names", () => {
  it("covers every Service short and qualified, and every pod through the headless Service", () => {
    const names = serverNames(cluster);
    for (const name of ["orders-primary", "orders-primary.shop.svc", "orders-replicas.shop.svc.cluster.local", "orders.shop.svc", "*.orders-headless.shop.svc.cluster.local", "*.orders-headless.shop.svc"]) expect(names).toContain(name);
    expect(buildCertificate(cluster, { name: "ca-issuer", kind: "ClusterIssuer", group: "cert-manager.io" }).spec).toMatchObject({ secretName: "orders-tls", dnsNames: names, duration: "2160h", renewBefore: "720h", issuerRef: { name: "ca-issuer", kind: "ClusterIssuer" } });
  });
});

describe("the TLS condition", () => {
  it.each([
    ["a valid certificate", tls(), true, "True", "CertificateValid"],
    ["a failing renewal far from expiry", tls({ problem: "boom" }), true, "False", "RenewalFailing"],
    ["a failing renewal 14 days before expiry", tls({ problem: "boom", notAfter: new Date(now.getTime() + 14 * DAY) }), true, "False", "CertificateExpiring"],
    ["an expired certificate", tls({ problem: "boom", notAfter: new Date(now.getTime() - DAY) }), true, "False", "CertificateExpired"],
    ["TLS switched off", undefined, true, "False", "Disabled"],
    ["an engine without TLS", undefined, false, "False", "NotSupported"],
  ] as const)("%s", (_, input, served, status, reason) => {
    expect(tlsStatus(input, served, now).condition).toMatchObject({ type: "TLS", status, reason });
  });
});
