/**
 * X.509 issuing for Steward's TLS: a CA per namespace and a server certificate per cluster,
 * ECDSA P-256 keys from WebCrypto (the CSPRNG). Node can verify and parse certificates but has
 * no API to issue them, and the operator image has no openssl binary: @peculiar/x509 (MIT)
 * builds and signs them on WebCrypto. Parsing goes through node:crypto's X509Certificate.
 */
// tsyringe, which @peculiar/x509 uses inside, needs the Reflect metadata polyfill loaded first.
import "reflect-metadata";
import { X509Certificate, createPrivateKey, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

type KeyPairOfKeys = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 86_400_000;

export const CA_LIFETIME_DAYS = 3650;
export const SERVER_LIFETIME_DAYS = 90;

/** A certificate and its private key, PEM-encoded (PKCS#8 key). */
export interface KeyPair {
  certPem: string;
  keyPem: string;
}

export interface CertificateFacts {
  notBefore: Date;
  notAfter: Date;
  dnsNames: string[];
  serialNumber: string;
  issuer: string;
  isCa: boolean;
}

function pemOfKey(der: ArrayBuffer): string {
  const base64 = Buffer.from(der).toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return `-----BEGIN PRIVATE KEY-----\n${base64}\n-----END PRIVATE KEY-----\n`;
}

function derOfPem(pem: string): Buffer {
  const body = pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, "").replace(/\s+/g, "");
  return Buffer.from(body, "base64");
}

/** A random positive serial of 16 bytes (RFC 5280 allows up to 20; the top bit cleared keeps it positive). */
function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f;
  return Buffer.from(bytes).toString("hex");
}

async function generateKeys(): Promise<KeyPairOfKeys> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as KeyPairOfKeys;
}

/** A self-signed CA, valid from an hour ago (clock skew between nodes) for `days`. */
export async function createCertificateAuthority(commonName: string, now: Date, days = CA_LIFETIME_DAYS): Promise<KeyPair> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [commonName] }, { O: ["Steward"] }],
    notBefore: new Date(now.getTime() - 3_600_000),
    notAfter: new Date(now.getTime() + days * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: certificate.toString("pem") + "\n", keyPem: pemOfKey(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)) };
}

export interface ServerCertificateRequest {
  commonName: string;
  dnsNames: string[];
  /** IP addresses the certificate also names (a server reached by address, such as a ClusterIP). */
  ipAddresses?: string[];
  now: Date;
  days?: number;
}

/** A server (and client: replicas present it to their source) certificate signed by `ca`. */
export async function issueServerCertificate(ca: KeyPair, request: ServerCertificateRequest): Promise<KeyPair> {
  const caCertificate = new x509.X509Certificate(ca.certPem);
  const caKey = await webcrypto.subtle.importKey("pkcs8", derOfPem(ca.keyPem), ALGORITHM, false, ["sign"]);
  const keys = await generateKeys();
  const notAfter = new Date(request.now.getTime() + (request.days ?? SERVER_LIFETIME_DAYS) * DAY_MS);
  const caNotAfter = caCertificate.notAfter;
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ CN: [request.commonName] }, { O: ["Steward"] }],
    issuer: caCertificate.subject,
    notBefore: new Date(request.now.getTime() - 3_600_000),
    // Never past the CA: a chain is only as valid as its shortest link.
    notAfter: notAfter < caNotAfter ? notAfter : caNotAfter,
    signingKey: caKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([...request.dnsNames.map((value) => ({ type: "dns" as const, value })), ...(request.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value }))]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCertificate),
    ],
  });
  return { certPem: certificate.toString("pem") + "\n", keyPem: pemOfKey(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)) };
}

/** What a PEM certificate says about itself (the first certificate of a bundle). */
export function certificateFacts(pem: string): CertificateFacts {
  const certificate = new X509Certificate(pem);
  const dnsNames = (certificate.subjectAltName ?? "")
    .split(/,\s*/)
    .filter((entry) => entry.startsWith("DNS:"))
    .map((entry) => entry.slice(4));
  return {
    notBefore: new Date(certificate.validFrom),
    notAfter: new Date(certificate.validTo),
    dnsNames,
    serialNumber: certificate.serialNumber,
    issuer: certificate.issuer,
    isCa: certificate.ca,
  };
}

/** Whether `certPem` was signed by `caPem` and its key matches `keyPem`. */
export function certificateMatches(certPem: string, keyPem: string, caPem: string): boolean {
  try {
    const certificate = new X509Certificate(certPem);
    return certificate.verify(new X509Certificate(caPem).publicKey) && certificate.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}
