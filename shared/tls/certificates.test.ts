import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { certificateFacts, certificateMatches, createCertificateAuthority, issueServerCertificate } from "./certificates.js";

describe("the operator's CA and server certificates", () => {
  it("issues an ECDSA P-256 server certificate with every name, signed by the CA, within its lifetime", async () => {
    const now = new Date("2026-06-01T00:00:00Z");
    const ca = await createCertificateAuthority("steward-ca shop", now);
    const server = await issueServerCertificate(ca, { commonName: "orders", dnsNames: ["orders-primary.shop.svc", "*.orders-headless.shop.svc.cluster.local"], now });
    const facts = certificateFacts(server.certPem);
    expect(facts.dnsNames).toEqual(["orders-primary.shop.svc", "*.orders-headless.shop.svc.cluster.local"]);
    expect(facts.isCa).toBe(false);
    expect(certificateFacts(ca.certPem).isCa).toBe(true);
    expect((facts.notAfter.getTime() - now.getTime()) / 86_400_000).toBe(90);
    expect(certificateMatches(server.certPem, server.keyPem, ca.certPem)).toBe(true);
    const certificate = new X509Certificate(server.certPem);
    expect(certificate.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    // The pattern that matched comes back.
    expect(certificate.checkHost("orders-1.orders-headless.shop.svc.cluster.local")).toBe("*.orders-headless.shop.svc.cluster.local");
    expect(certificate.checkHost("orders-primary.other.svc")).toBeUndefined();
  });

  it("tells another CA's certificate and a foreign key apart", async () => {
    const now = new Date();
    const ca = await createCertificateAuthority("a", now);
    const other = await createCertificateAuthority("b", now);
    const server = await issueServerCertificate(ca, { commonName: "x", dnsNames: ["x"], now });
    expect(certificateMatches(server.certPem, server.keyPem, other.certPem)).toBe(false);
    expect(certificateMatches(server.certPem, other.keyPem, ca.certPem)).toBe(false);
  });

  it("names IP addresses too, for a server reached by address (the local S3's ClusterIP)", async () => {
    const ca = await createCertificateAuthority("a", new Date());
    const server = await issueServerCertificate(ca, { commonName: "s3", dnsNames: ["s3.steward-system.svc"], ipAddresses: ["10.96.1.17"], now: new Date() });
    const certificate = new X509Certificate(server.certPem);
    expect(certificate.checkIP("10.96.1.17")).toBe("10.96.1.17");
    expect(certificate.checkIP("10.96.1.18")).toBeUndefined();
    expect(certificate.checkHost("s3.steward-system.svc")).toBe("s3.steward-system.svc");
  });
});
