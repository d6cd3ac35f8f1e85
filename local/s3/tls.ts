/**
 * The local S3 server's TLS: a CA of the local cluster kept in its state dir (`s3-ca/ca.crt`,
 * `s3-ca/ca.key`), and a server certificate signed by it in the Secret `s3-tls` that the S3 pod
 * mounts. The certificate names the Service (short to FQDN) and its ClusterIP, which is how the
 * host reaches it. It is kept while it still fits and issued anew otherwise (another CA, another
 * ClusterIP, or less than 30 days left).
 */
import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CoreV1Api, V1Secret } from "@kubernetes/client-node";
import { certificateMatches, createCertificateAuthority, issueServerCertificate, type KeyPair } from "../../shared/tls/certificates.js";

export const S3_TLS_SECRET = "s3-tls";
const RENEW_BEFORE_MS = 30 * 86_400_000;

/** The local cluster's S3 CA, created once per state dir (the key file is readable by root only). */
export async function localS3Authority(stateDir: string): Promise<KeyPair & { certFile: string }> {
  const dir = join(stateDir, "s3-ca");
  const certFile = join(dir, "ca.crt");
  const keyFile = join(dir, "ca.key");
  if (existsSync(certFile) && existsSync(keyFile)) return { certPem: readFileSync(certFile, "utf8"), keyPem: readFileSync(keyFile, "utf8"), certFile };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = await createCertificateAuthority("steward local S3 CA", new Date());
  writeFileSync(keyFile, ca.keyPem, { mode: 0o600 });
  writeFileSync(certFile, ca.certPem);
  return { ...ca, certFile };
}

function fits(certPem: string, keyPem: string, ca: KeyPair, ip: string): boolean {
  if (!certificateMatches(certPem, keyPem, ca.certPem)) return false;
  const certificate = new X509Certificate(certPem);
  return certificate.checkIP(ip) !== undefined && new Date(certificate.validTo).getTime() - Date.now() > RENEW_BEFORE_MS;
}

/**
 * Makes sure the Secret `s3-tls` holds a certificate for the Service at `ip`, signed by `ca`.
 * Returns true when it wrote a new one (a running S3 pod must then restart to serve it).
 */
export async function ensureS3Certificate(core: CoreV1Api, options: { namespace: string; service: string; ip: string; ca: KeyPair; labels: Record<string, string> }): Promise<boolean> {
  const { namespace, service, ip, ca } = options;
  let existing: V1Secret | undefined;
  try {
    existing = await core.readNamespacedSecret({ name: S3_TLS_SECRET, namespace });
  } catch {
    // none yet
  }
  const decode = (key: string) => Buffer.from(existing?.data?.[key] ?? "", "base64").toString();
  if (existing && fits(decode("tls.crt"), decode("tls.key"), ca, ip)) return false;
  const dnsNames = [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
  const server = await issueServerCertificate(ca, { commonName: `${service}.${namespace}.svc`, dnsNames, ipAddresses: [ip], now: new Date() });
  const body: V1Secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: S3_TLS_SECRET, namespace, labels: options.labels },
    type: "kubernetes.io/tls",
    stringData: { "tls.crt": server.certPem, "tls.key": server.keyPem, "ca.crt": ca.certPem },
  };
  if (existing) await core.replaceNamespacedSecret({ name: S3_TLS_SECRET, namespace, body });
  else await core.createNamespacedSecret({ namespace, body });
  return true;
}
