import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { stringify } from "yaml";
import { freePort, startProcess, waitFor, type ManagedProcess } from "../processes.js";
import { resolveBinaries, type ControlPlaneBinaries } from "./binaries.js";
import { ensurePki, type ClientName, type Pki } from "./certificates.js";

export interface ControlPlaneOptions {
  /** Everything lives here: PKI, etcd data, kubeconfigs, logs, pids. */
  stateDir: string;
  /** The Service ClusterIP range the API server allocates from, e.g. 10.96.0.0/16. */
  serviceCidr: string;
  /** Extra names and addresses the API server's certificate is valid for. */
  extraSans?: string[];
  /** Seconds without a node heartbeat before the node (and its pods) turn NotReady. */
  nodeMonitorGracePeriodSeconds?: number;
  log?: (line: string) => void;
}

export interface ControlPlaneEndpoints {
  apiserverPort: number;
  etcdClientPort: number;
  etcdPeerPort: number;
}

export interface RunningControlPlane {
  server: string;
  kubeconfig: string;
  kubeconfigFor(client: ClientName): string;
  binaries: ControlPlaneBinaries;
  pki: Pki;
  processes: ManagedProcess[];
  stop(): Promise<void>;
}

/** The first address of a CIDR: the in-cluster `kubernetes` Service's ClusterIP. */
export function firstServiceAddress(cidr: string): string {
  const [base] = cidr.split("/");
  const parts = base!.split(".").map(Number);
  parts[3] = parts[3]! + 1;
  return parts.join(".");
}

async function loadEndpoints(stateDir: string): Promise<ControlPlaneEndpoints> {
  const file = join(stateDir, "endpoints.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as ControlPlaneEndpoints;
  const endpoints = { apiserverPort: await freePort(), etcdClientPort: await freePort(), etcdPeerPort: await freePort() };
  writeFileSync(file, JSON.stringify(endpoints, null, 2));
  return endpoints;
}

export function writeKubeconfig(file: string, server: string, pki: Pki, client: ClientName): void {
  const b64 = (path: string) => readFileSync(path).toString("base64");
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "steward-local", cluster: { server, "certificate-authority-data": b64(pki.caCert) } }],
    users: [{ name: client, user: { "client-certificate-data": b64(pki.clients[client].cert), "client-key-data": b64(pki.clients[client].key) } }],
    contexts: [{ name: "steward-local", context: { cluster: "steward-local", user: client } }],
    "current-context": "steward-local",
  };
  writeFileSync(file, stringify(config), { mode: 0o600 });
}

function httpsGet(url: string, pki: Pki): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { ca: readFileSync(pki.caCert), cert: readFileSync(pki.clients.admin.cert), key: readFileSync(pki.clients.admin.key), timeout: 5000 },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end();
  });
}

/**
 * Starts etcd, kube-apiserver, kube-controller-manager and kube-scheduler (the real ones),
 * waits until the API server is ready and the controllers have created the default service
 * account, and writes an admin kubeconfig. A failed start stops whatever it had started.
 */
export async function startControlPlane(options: ControlPlaneOptions): Promise<RunningControlPlane> {
  const log = options.log ?? (() => {});
  const { stateDir } = options;
  mkdirSync(stateDir, { recursive: true });
  const binaries = resolveBinaries(log);
  const endpoints = await loadEndpoints(stateDir);
  const serviceIp = firstServiceAddress(options.serviceCidr);
  const sans = ["127.0.0.1", "localhost", serviceIp, "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", ...(options.extraSans ?? [])];
  const pki = ensurePki(join(stateDir, "pki"), sans);
  const server = `https://127.0.0.1:${endpoints.apiserverPort}`;
  const kubeconfigFor = (client: ClientName) => join(stateDir, client === "admin" ? "kubeconfig" : `${client}.kubeconfig`);
  for (const client of ["admin", "controller-manager", "scheduler", "runtime"] as ClientName[]) writeKubeconfig(kubeconfigFor(client), server, pki, client);

  const logDir = join(stateDir, "logs");
  const pidDir = join(stateDir, "pids");
  const processes: ManagedProcess[] = [];
  const stop = async () => {
    for (const managed of [...processes].reverse()) await managed.stop();
  };
  const start = (name: string, command: string, args: string[]) => {
    const managed = startProcess({ name, command, args, logDir, pidDir });
    processes.push(managed);
    return managed;
  };
  const failIfExited = (managed: ManagedProcess) => {
    if (managed.child.exitCode !== null) throw new Error(`${managed.name} exited with code ${managed.child.exitCode}; see ${managed.logFile}`);
  };

  try {
    const etcdUrl = `http://127.0.0.1:${endpoints.etcdClientPort}`;
    const peerUrl = `http://127.0.0.1:${endpoints.etcdPeerPort}`;
    const etcd = start("etcd", binaries.etcd, [
      "--name=steward-local",
      `--data-dir=${join(stateDir, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=steward-local=${peerUrl}`,
      // A test and playground store: durability across a host crash is not worth the fsync cost here.
      "--unsafe-no-fsync",
      "--log-level=warn",
    ]);
    await waitFor("etcd health", async () => {
      failIfExited(etcd);
      const res = await fetch(`${etcdUrl}/health`);
      return res.ok;
    }, 30_000);

    const apiserver = start("kube-apiserver", binaries["kube-apiserver"], [
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${endpoints.apiserverPort}`,
      `--tls-cert-file=${pki.apiserverCert}`,
      `--tls-private-key-file=${pki.apiserverKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      `--service-cluster-ip-range=${options.serviceCidr}`,
      "--authorization-mode=Node,RBAC",
      // On by default since 1.25; named so nobody drops it: namespaces labelled
      // pod-security.kubernetes.io/enforce=restricted refuse pods that do not comply.
      "--enable-admission-plugins=PodSecurity",
      "--allow-privileged=true",
      "--profiling=false",
      "--v=1",
    ]);
    await waitFor("kube-apiserver /readyz", async () => {
      failIfExited(apiserver);
      const res = await httpsGet(`${server}/readyz`, pki);
      return res.status === 200;
    }, 90_000, 300);

    start("kube-controller-manager", binaries["kube-controller-manager"], [
      `--kubeconfig=${kubeconfigFor("controller-manager")}`,
      `--authentication-kubeconfig=${kubeconfigFor("controller-manager")}`,
      `--authorization-kubeconfig=${kubeconfigFor("controller-manager")}`,
      "--bind-address=127.0.0.1",
      "--secure-port=0",
      "--leader-elect=false",
      "--controllers=*",
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      "--use-service-account-credentials=true",
      `--node-monitor-grace-period=${options.nodeMonitorGracePeriodSeconds ?? 20}s`,
      "--node-monitor-period=2s",
      "--profiling=false",
      "--v=1",
    ]);
    start("kube-scheduler", binaries["kube-scheduler"], [
      `--kubeconfig=${kubeconfigFor("scheduler")}`,
      `--authentication-kubeconfig=${kubeconfigFor("scheduler")}`,
      `--authorization-kubeconfig=${kubeconfigFor("scheduler")}`,
      "--bind-address=127.0.0.1",
      "--secure-port=0",
      "--leader-elect=false",
      "--profiling=false",
      "--v=1",
    ]);
    // The service-account controller creates "default" in every namespace; pods are refused
    // until it exists, so a ready control plane is one where it does.
    await waitFor("the default service account", async () => {
      for (const managed of processes) failIfExited(managed);
      const res = await httpsGet(`${server}/api/v1/namespaces/default/serviceaccounts/default`, pki);
      return res.status === 200;
    }, 60_000, 300);
    log(`control plane ready at ${server}`);
  } catch (error) {
    await stop();
    throw error;
  }

  return { server, kubeconfig: kubeconfigFor("admin"), kubeconfigFor, binaries, pki, processes, stop };
}
