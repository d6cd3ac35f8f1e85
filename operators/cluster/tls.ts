/**
 * A cluster's server certificate, engine-neutral: the Secret `<cluster>-tls` (tls.crt, tls.key,
 * ca.crt) that every engine mounts, issued by one of
 * - the operator's CA for the namespace (Secret `steward-ca`, ca.crt + ca.key), the default;
 * - the user's Secret (spec.tls.issuer.secretName): a CA to sign with, or a finished certificate;
 * - cert-manager (spec.tls.issuer.certManager): a Certificate that writes `<cluster>-tls` itself.
 * Renewal is decided in shared/tls/rotation.ts; engines reload the files when they change.
 */
import { ANNOTATIONS, LABELS } from "../../shared/api/index.js";
import type { DatabaseCluster, EffectiveSpec } from "../../shared/api/index.js";
import { RESOURCES, isAlreadyExists, type KubeClient, type KubeObject } from "../../shared/k8s/client.js";
import { ownerReference } from "../../shared/k8s/owner.js";
import type { EventRecorder } from "../../shared/events.js";
import { readSecret } from "../../shared/secrets.js";
import { certificateFacts, certificateMatches, createCertificateAuthority, issueServerCertificate, type KeyPair } from "../../shared/tls/certificates.js";
import { expiresSoon, renewalReason, renewalTime } from "../../shared/tls/rotation.js";
import { clusterNames } from "../common/names.js";
import { tlsSecretName } from "./tls-secret-name.js";

/** Keys of `<cluster>-tls`, as kubernetes.io/tls Secrets and cert-manager name them. */
export const TLS_KEYS = { cert: "tls.crt", key: "tls.key", ca: "ca.crt" } as const;
/** Keys of a CA Secret (the operator's, or the user's secretName when it is a CA). */
export const CA_KEYS = { cert: "ca.crt", key: "ca.key" } as const;
export const NAMESPACE_CA_SECRET = "steward-ca";
/** On `<cluster>-tls`: the steward.dev/rotate-tls value it was last issued for. */
const ROTATED_FOR = "steward.dev/tls-rotated-for";

export { tlsSecretName };

/**
 * Every name a client may use: the cluster's Services (`<cluster>` for engines without a
 * primary, `-primary`, `-replicas`, `-headless`) short and qualified, and each pod through the
 * headless Service (a wildcard, so scaling needs no new certificate).
 */
export function serverNames(cluster: Pick<DatabaseCluster, "metadata">): string[] {
  const names = clusterNames(cluster);
  const services = [names.cluster, `${names.cluster}-primary`, `${names.cluster}-replicas`, names.headless];
  const qualified = services.flatMap((service) => [service, `${service}.${names.namespace}`, `${service}.${names.namespace}.svc`, `${service}.${names.namespace}.svc.cluster.local`]);
  const pods = [`*.${names.headless}`, `*.${names.headless}.${names.namespace}.svc`, `*.${names.headless}.${names.namespace}.svc.cluster.local`];
  return [...qualified, ...pods];
}

/** What engines need to serve TLS and what the status shows. */
export interface ClusterTls {
  secretName: string;
  required: boolean;
  /** The CA clients verify with (ca.crt). */
  caPem: string;
  issuer: string;
  notAfter?: Date;
  renewAt?: Date;
  /** Why the certificate could not be (re)issued; the current one stays in use. */
  problem?: string;
}

export interface TlsContext {
  client: KubeClient;
  events: EventRecorder;
  cluster: DatabaseCluster;
  spec: EffectiveSpec;
  now: Date;
}

function secretObject(namespace: string, name: string, values: Record<string, string>, extra: { owner?: KubeObject; annotations?: Record<string, string>; labels?: Record<string, string> }): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name,
      namespace,
      labels: { [LABELS.managedBy]: "steward", ...extra.labels },
      annotations: extra.annotations,
      ownerReferences: extra.owner ? [ownerReference(extra.owner)] : undefined,
    },
    type: "Opaque",
    data: Object.fromEntries(Object.entries(values).map(([key, value]) => [key, Buffer.from(value).toString("base64")])),
  } as KubeObject;
}

function caOf(values: Record<string, string> | undefined): KeyPair | undefined {
  const certPem = values?.[CA_KEYS.cert];
  const keyPem = values?.[CA_KEYS.key];
  return certPem && keyPem ? { certPem, keyPem } : undefined;
}

/** The namespace's CA, created on first use. Not owned by any cluster: every cluster of the namespace shares it. */
async function namespaceCa(client: KubeClient, namespace: string, now: Date): Promise<KeyPair> {
  const existing = caOf(await readSecret(client, namespace, NAMESPACE_CA_SECRET));
  if (existing) return existing;
  const ca = await createCertificateAuthority(`Steward CA ${namespace}`, now);
  try {
    await client.create(secretObject(namespace, NAMESPACE_CA_SECRET, { [CA_KEYS.cert]: ca.certPem, [CA_KEYS.key]: ca.keyPem }, { labels: { [LABELS.component]: "tls-ca" } }));
    return ca;
  } catch (error) {
    // Another cluster's reconcile made it first: use theirs.
    if (!isAlreadyExists(error)) throw error;
    const raced = caOf(await readSecret(client, namespace, NAMESPACE_CA_SECRET));
    if (!raced) throw new Error(`Secret ${NAMESPACE_CA_SECRET} has no ${CA_KEYS.cert}/${CA_KEYS.key}`, { cause: error });
    return raced;
  }
}

/** The cert-manager Certificate that writes `<cluster>-tls` (90 days, renewed 30 days before expiry). */
export function buildCertificate(cluster: DatabaseCluster, issuerRef: { name: string; kind: string; group: string }): KubeObject {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name: tlsSecretName(cluster), namespace: cluster.metadata.namespace, labels: { [LABELS.cluster]: cluster.metadata.name, [LABELS.managedBy]: "steward" }, ownerReferences: [ownerReference(cluster as unknown as KubeObject)] },
    spec: {
      secretName: tlsSecretName(cluster),
      commonName: cluster.metadata.name,
      dnsNames: serverNames(cluster),
      duration: "2160h",
      renewBefore: "720h",
      privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
      usages: ["server auth", "client auth", "digital signature", "key encipherment"],
      issuerRef,
    },
  } as KubeObject;
}

function factsOf(values: Record<string, string> | undefined) {
  const certPem = values?.[TLS_KEYS.cert];
  try {
    return certPem ? certificateFacts(certPem) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Makes sure `<cluster>-tls` holds a valid certificate for every server name, issuing or
 * renewing it when rotation.ts says so; undefined when spec.tls.enabled is false. A failed
 * renewal keeps the current certificate and says why in `problem` (the controller turns it
 * into a condition and, near expiry, a warning Event).
 */
export async function reconcileClusterTls(context: TlsContext): Promise<ClusterTls | undefined> {
  const { client, cluster, spec, now } = context;
  const tls = spec.tls;
  if (!tls.enabled) return undefined;
  const namespace = cluster.metadata.namespace ?? "default";
  const secretName = tlsSecretName(cluster);
  const owner = cluster as unknown as KubeObject;
  const currentSecret = await client.get<KubeObject & { data?: Record<string, string> }>(RESOURCES.Secret, namespace, secretName);
  const current = currentSecret ? Object.fromEntries(Object.entries(currentSecret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, "base64").toString("utf8")])) : undefined;
  const currentFacts = factsOf(current);
  const result = (issuer: string, values: Record<string, string> | undefined, problem?: string): ClusterTls => {
    const facts = factsOf(values);
    return { secretName, required: tls.required, caPem: values?.[TLS_KEYS.ca] ?? "", issuer, notAfter: facts?.notAfter, renewAt: facts ? renewalTime(facts) : undefined, problem };
  };

  const certManager = tls.issuer?.certManager;
  if (certManager) {
    const issuer = `cert-manager/${certManager.issuerRef.name}`;
    try {
      await client.apply(buildCertificate(cluster, certManager.issuerRef));
    } catch (error) {
      return result(issuer, current, `could not write the cert-manager Certificate (is cert-manager installed?): ${(error as Error).message}`);
    }
    return result(issuer, current, currentFacts ? undefined : `waiting for cert-manager to write Secret ${secretName}`);
  }

  let ca: KeyPair;
  let issuer = "operator-ca";
  const userSecret = tls.issuer?.secretName;
  if (userSecret) {
    issuer = `secret/${userSecret}`;
    const values = await readSecret(client, namespace, userSecret);
    if (!values) return result(issuer, current, `Secret ${userSecret} (spec.tls.issuer.secretName) does not exist`);
    const certPem = values[TLS_KEYS.cert];
    const keyPem = values[TLS_KEYS.key];
    if (certPem && keyPem) {
      // A finished certificate: used as it is; its owner renews it.
      const wanted: Record<string, string> = { [TLS_KEYS.cert]: certPem, [TLS_KEYS.key]: keyPem, [TLS_KEYS.ca]: values[TLS_KEYS.ca] ?? certPem };
      if (Object.entries(wanted).some(([key, value]) => current?.[key] !== value)) await client.apply(secretObject(namespace, secretName, wanted, { owner }));
      return result(issuer, wanted);
    }
    const userCa = caOf(values);
    if (!userCa) return result(issuer, current, `Secret ${userSecret} needs tls.crt and tls.key, or ca.crt and ca.key`);
    ca = userCa;
  } else {
    ca = await namespaceCa(client, namespace, now);
  }

  const rotateRequest = cluster.metadata.annotations?.[ANNOTATIONS.rotateTls];
  const reason = renewalReason({
    current: currentFacts,
    signedByCa: Boolean(current && currentFacts && current[TLS_KEYS.ca] === ca.certPem && certificateMatches(current[TLS_KEYS.cert] ?? "", current[TLS_KEYS.key] ?? "", ca.certPem)),
    wantedNames: serverNames(cluster),
    rotateRequest,
    rotatedFor: currentSecret?.metadata.annotations?.[ROTATED_FOR],
    now,
  });
  if (!reason) return result(issuer, current);
  try {
    const issued = await issueServerCertificate(ca, { commonName: cluster.metadata.name, dnsNames: serverNames(cluster), now });
    const values = { [TLS_KEYS.cert]: issued.certPem, [TLS_KEYS.key]: issued.keyPem, [TLS_KEYS.ca]: ca.certPem };
    await client.apply(secretObject(namespace, secretName, values, { owner, annotations: rotateRequest !== undefined ? { [ROTATED_FOR]: rotateRequest } : undefined, labels: { [LABELS.cluster]: cluster.metadata.name, [LABELS.component]: "tls" } }));
    const facts = certificateFacts(issued.certPem);
    await context.events.normal(owner, "CertificateIssued", `Issued the server certificate of ${cluster.metadata.name} (${reason}) from ${issuer}, valid until ${facts.notAfter.toISOString()}`);
    return result(issuer, values);
  } catch (error) {
    if (!current) throw error;
    return result(issuer, current, `renewing the server certificate failed (${reason}): ${(error as Error).message}`);
  }
}

/** The TLS condition and status.tls for what reconcileClusterTls found (undefined tls: disabled or not served by the engine). */
export function tlsStatus(tls: ClusterTls | undefined, servedByEngine: boolean, now: Date) {
  if (!servedByEngine) return { condition: { type: "TLS", status: "False" as const, reason: "NotSupported", message: "This engine does not serve TLS in this build of Steward; connections are plaintext" }, status: undefined };
  if (!tls) return { condition: { type: "TLS", status: "False" as const, reason: "Disabled", message: "spec.tls.enabled is false: connections are plaintext" }, status: undefined };
  const status = { secretName: tls.secretName, issuer: tls.issuer, notAfter: tls.notAfter?.toISOString(), renewAt: tls.renewAt?.toISOString() };
  if (tls.notAfter && tls.notAfter <= now) return { condition: { type: "TLS", status: "False" as const, reason: "CertificateExpired", message: `The server certificate expired at ${status.notAfter}: ${tls.problem ?? "renew it"}` }, status };
  if (tls.problem) {
    const reason = tls.notAfter && expiresSoon(tls.notAfter, now) ? "CertificateExpiring" : "RenewalFailing";
    return { condition: { type: "TLS", status: "False" as const, reason, message: `${tls.problem}${tls.notAfter ? `; the current certificate expires at ${status.notAfter}` : ""}` }, status };
  }
  return { condition: { type: "TLS", status: "True" as const, reason: "CertificateValid", message: `Serving TLS${tls.required ? " only" : ""} with a certificate from ${tls.issuer} valid until ${status.notAfter}, renewed from ${status.renewAt}` }, status };
}
