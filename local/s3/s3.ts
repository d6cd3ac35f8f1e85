import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:tls";
import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type KubernetesObject, type V1Secret } from "@kubernetes/client-node";
import { applyObjects } from "../apply.js";
import { S3FaultStateSchema, type S3FaultRequest, type S3FaultState } from "./fault.js";
import { cacheDir } from "../controlplane/binaries.js";
import { waitFor } from "../processes.js";
import { repositoryRoot } from "../repository.js";
import { S3_TLS_SECRET, ensureS3Certificate, localS3Authority } from "./tls.js";

/**
 * The local S3 server: versitygw (Apache-2.0) with its posix backend, run as a faithful pod, a
 * one-replica StatefulSet `s3` in steward-system with its data on a PVC, behind the Service
 * `s3.steward-system.svc:7070`, over HTTPS with a certificate from the local cluster's own CA
 * (local/s3/tls.ts). The root credentials are generated once (CSPRNG) into the Secret s3-root
 * and reused; the bucket `steward` is created at first start.
 */
export const S3_NAMESPACE = "steward-system";
export const S3_NAME = "s3";
export const S3_PORT = 7070;
/** The S3 server's own port, which only the fault proxy in front of it uses (fault-proxy.ts). */
const S3_BACKEND_PORT = 7071;
/** The fault proxy's control port: GET/PUT /fault (see fault.ts). */
export const S3_FAULT_PORT = 7079;
export const S3_BUCKET = "steward";
export const S3_REGION = "us-east-1";
const ROOT_SECRET = "s3-root";
const LABELS = { "app.kubernetes.io/name": "versitygw", "app.kubernetes.io/part-of": "steward-local" };

export interface LocalS3 {
  /** Reachable from the host: the Service's ClusterIP (a local address of the host). */
  endpoint: string;
  /** Reachable from pods: the Service's cluster DNS name. */
  endpointInCluster: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  region: string;
  /** The PEM CA that signed the server's certificate: a BackupStorage's spec.s3.caBundle. */
  caBundle: string;
  /** The same CA as a file in the state dir (for curl --cacert, or NODE_EXTRA_CA_CERTS). */
  caFile: string;
}

function s3Dir(): string {
  return join(repositoryRoot(), "local", "s3");
}

export function pinnedVersitygwVersion(): string {
  return readFileSync(join(s3Dir(), "VERSION"), "utf8").trim();
}

/** The versitygw binary: cached, or built from the Go module proxy by local/s3/build.sh (first run only). */
export function versitygwBinary(log: (line: string) => void = () => {}): string {
  const cached = join(cacheDir(), `versitygw-${pinnedVersitygwVersion()}`, "versitygw");
  if (existsSync(cached)) return cached;
  log(`building versitygw ${pinnedVersitygwVersion()} from the Go module proxy (first run only)`);
  const out = execFileSync("bash", [join(s3Dir(), "build.sh")], { env: { ...process.env, STEWARD_CACHE: cacheDir() }, stdio: ["ignore", "pipe", "inherit"] });
  return out.toString().trim().split("\n").pop()!;
}

async function rootCredentials(core: CoreV1Api): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  try {
    const secret = await core.readNamespacedSecret({ name: ROOT_SECRET, namespace: S3_NAMESPACE });
    const data = secret.data ?? {};
    if (data.accessKeyId && data.secretAccessKey) return { accessKeyId: Buffer.from(data.accessKeyId, "base64").toString(), secretAccessKey: Buffer.from(data.secretAccessKey, "base64").toString() };
  } catch {
    // first start: generate below
  }
  const accessKeyId = "STW" + randomBytes(12).toString("hex").toUpperCase().slice(0, 17);
  const secretAccessKey = randomBytes(30).toString("base64url");
  const body: V1Secret = { apiVersion: "v1", kind: "Secret", metadata: { name: ROOT_SECRET, namespace: S3_NAMESPACE, labels: LABELS }, type: "Opaque", stringData: { accessKeyId, secretAccessKey } };
  await core.createNamespacedSecret({ namespace: S3_NAMESPACE, body });
  return { accessKeyId, secretAccessKey };
}

const TLS_DIR = "/etc/versitygw/tls";

// The port keeps its name "http" (a Service port name cannot be changed in place by apply); it serves HTTPS.
const service: KubernetesObject = { apiVersion: "v1", kind: "Service", metadata: { name: S3_NAME, namespace: S3_NAMESPACE, labels: LABELS }, spec: { selector: LABELS, ports: [{ name: "http", port: S3_PORT, targetPort: "http" }] } } as KubernetesObject;

function statefulSet(binary: string): KubernetesObject {
  const secretKey = (key: string) => ({ secretKeyRef: { name: ROOT_SECRET, key } });
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: S3_NAME, namespace: S3_NAMESPACE, labels: LABELS },
    spec: {
      replicas: 1,
      serviceName: S3_NAME,
      selector: { matchLabels: LABELS },
      template: {
        metadata: { labels: LABELS },
        spec: {
          terminationGracePeriodSeconds: 5,
          containers: [
            {
              name: "versitygw",
              // No image: the pod names the binary the host has (built into the cache).
              image: `versitygw:${pinnedVersitygwVersion()}`,
              // Plain HTTP behind the fault proxy, which holds the S3 port and its TLS.
              command: [binary, "--port", `:${S3_BACKEND_PORT}`, "posix", "/var/lib/versitygw"],
              env: [
                { name: "ROOT_ACCESS_KEY", valueFrom: secretKey("accessKeyId") },
                { name: "ROOT_SECRET_KEY", valueFrom: secretKey("secretAccessKey") },
              ],
              readinessProbe: { tcpSocket: { port: S3_BACKEND_PORT }, periodSeconds: 1 },
              volumeMounts: [{ name: "data", mountPath: "/var/lib/versitygw" }],
            },
            {
              // The S3 port itself: serves HTTPS, forwards to versitygw, and injects `steward local fault s3` faults.
              name: "fault-proxy",
              image: "node:24",
              command: [
                process.execPath,
                join(repositoryRoot(), "dist", "local", "s3", "fault-proxy.js"),
                ...["--listen", `${S3_PORT}`, "--backend", `${S3_BACKEND_PORT}`, "--control", `${S3_FAULT_PORT}`],
                ...["--cert", `${TLS_DIR}/tls.crt`, "--key", `${TLS_DIR}/tls.key`, "--data", "/var/lib/versitygw", "--bucket", S3_BUCKET],
              ],
              ports: [
                { name: "http", containerPort: S3_PORT },
                { name: "fault-control", containerPort: S3_FAULT_PORT },
              ],
              readinessProbe: { tcpSocket: { port: "http" }, periodSeconds: 1 },
              volumeMounts: [{ name: "data", mountPath: "/var/lib/versitygw" }, { name: "tls", mountPath: TLS_DIR, readOnly: true }],
            },
          ],
          volumes: [{ name: "tls", secret: { secretName: S3_TLS_SECRET } }],
        },
      },
      volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Gi" } } } }],
    },
  } as KubernetesObject;
}

async function clusterIP(core: CoreV1Api): Promise<string> {
  const service = await core.readNamespacedService({ name: S3_NAME, namespace: S3_NAMESPACE });
  const ip = service.spec?.clusterIP;
  if (!ip || ip === "None") throw new Error("the s3 Service has no ClusterIP");
  return ip;
}

async function podReady(core: CoreV1Api): Promise<boolean> {
  const pod = await core.readNamespacedPod({ name: `${S3_NAME}-0`, namespace: S3_NAMESPACE });
  return Boolean(pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")) && !pod.metadata?.deletionTimestamp;
}

/**
 * Deploys (or finds) the S3 pod, waits until it serves, and makes sure the bucket exists. The CA
 * lives in `stateDir` (s3-ca/); the Service comes first, since its ClusterIP goes into the certificate.
 */
export async function deployS3(config: KubeConfig, stateDir: string, log: (line: string) => void = () => {}): Promise<LocalS3> {
  const core = config.makeApiClient(CoreV1Api);
  const binary = versitygwBinary(log);
  await applyObjects(config, [{ apiVersion: "v1", kind: "Namespace", metadata: { name: S3_NAMESPACE } } as KubernetesObject]);
  const credentials = await rootCredentials(core);
  await applyObjects(config, [service]);
  const ip = await clusterIP(core);
  const ca = await localS3Authority(stateDir);
  const renewed = await ensureS3Certificate(core, { namespace: S3_NAMESPACE, service: S3_NAME, ip, ca, labels: LABELS });
  await applyObjects(config, [statefulSet(binary)]);
  // A pod that serves an older certificate (a state dir from before, or a renewal) starts again with the new one.
  if (renewed) await core.deleteNamespacedPod({ name: `${S3_NAME}-0`, namespace: S3_NAMESPACE, gracePeriodSeconds: 0 }).catch(() => undefined);
  await waitFor("the s3 pod to be Ready", () => podReady(core), 120_000, 250);
  await waitForService(core, ca.certPem);
  const s3: LocalS3 = { endpoint: `https://${ip}:${S3_PORT}`, endpointInCluster: `https://${S3_NAME}.${S3_NAMESPACE}.svc:${S3_PORT}`, ...credentials, bucket: S3_BUCKET, region: S3_REGION, caBundle: ca.certPem, caFile: ca.certFile };
  await ensureBucket(s3);
  log(`S3 (versitygw ${pinnedVersitygwVersion()}) at ${s3.endpoint} (in cluster ${s3.endpointInCluster}), bucket ${S3_BUCKET}`);
  return s3;
}

/** Ready is not yet served: the EndpointSlice and the proxy follow a moment later. A verified TLS handshake says it serves. */
async function waitForService(core: CoreV1Api, caPem: string): Promise<void> {
  const host = await clusterIP(core);
  const handshake = () =>
    new Promise<boolean>((resolve) => {
      const socket = connect({ host, port: S3_PORT, ca: caPem, timeout: 2000 }, () => {
        socket.end();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
      socket.once("timeout", () => {
        socket.destroy();
        resolve(false);
      });
    });
  await waitFor(`S3 to answer at https://${host}:${S3_PORT}`, handshake, 30_000, 200);
}

async function ensureBucket(s3: LocalS3): Promise<void> {
  const [{ CreateBucketCommand }, { createS3Client }] = await Promise.all([import("@aws-sdk/client-s3"), import("../../backup/s3/client.js")]);
  const client = createS3Client({ endpoint: s3.endpoint, region: s3.region, bucket: s3.bucket, prefix: "", forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, caBundle: s3.caBundle });
  try {
    await waitFor(`bucket ${s3.bucket}`, async () => {
      try {
        await client.send(new CreateBucketCommand({ Bucket: s3.bucket }));
      } catch (error) {
        const name = (error as { name?: string }).name;
        if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") throw error;
      }
      return true;
    }, 30_000, 300);
  } finally {
    client.destroy();
  }
}

/** Stops (scale to 0, pod gone) or starts (scale to 1, pod Ready) the S3 server: backup fault tests use it. */
export async function setS3Running(config: KubeConfig, running: boolean): Promise<void> {
  const apps = config.makeApiClient(AppsV1Api);
  const core = config.makeApiClient(CoreV1Api);
  await apps.patchNamespacedStatefulSetScale({ name: S3_NAME, namespace: S3_NAMESPACE, body: { spec: { replicas: running ? 1 : 0 } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
  if (running) {
    await waitFor("the s3 pod to be Ready", () => podReady(core), 120_000, 250);
    const tls = await core.readNamespacedSecret({ name: S3_TLS_SECRET, namespace: S3_NAMESPACE });
    await waitForService(core, Buffer.from(tls.data?.["ca.crt"] ?? "", "base64").toString());
    return;
  }
  await waitFor("the s3 pod to be gone", async () => {
    try {
      await core.readNamespacedPod({ name: `${S3_NAME}-0`, namespace: S3_NAMESPACE });
      return false;
    } catch {
      return true;
    }
  }, 60_000, 250);
}

async function faultControlUrl(config: KubeConfig): Promise<string> {
  const pod = await config.makeApiClient(CoreV1Api).readNamespacedPod({ name: `${S3_NAME}-0`, namespace: S3_NAMESPACE });
  const ip = pod.status?.podIP;
  if (!ip) throw new Error(`the s3 pod has no address yet (phase ${pod.status?.phase ?? "unknown"})`);
  return `http://${ip}:${S3_FAULT_PORT}/fault`;
}

/** Sets (or clears, with mode none) the fault the S3 pod's proxy applies; returns its state. */
export async function setS3Fault(config: KubeConfig, request: S3FaultRequest): Promise<S3FaultState> {
  const response = await fetch(await faultControlUrl(config), { method: "PUT", body: JSON.stringify(request), signal: AbortSignal.timeout(10_000) });
  const body: unknown = await response.json();
  if (!response.ok) throw new Error(`the S3 fault proxy refused: ${JSON.stringify(body)}`);
  return S3FaultStateSchema.parse(body);
}

/** The fault in force and the proxy's request counts. */
export async function s3FaultState(config: KubeConfig): Promise<S3FaultState> {
  const response = await fetch(await faultControlUrl(config), { signal: AbortSignal.timeout(10_000) });
  return S3FaultStateSchema.parse(await response.json());
}
