import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The local control plane's PKI, made with the openssl command line (a dependency-free
 * tool every Debian machine has): one CA, the API server's serving certificate, client
 * certificates for each component, and the service-account signing key pair.
 * Created once per state directory and reused, so kubeconfigs stay valid across restarts.
 */
export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
  clients: Record<ClientName, { cert: string; key: string }>;
}

export type ClientName = "admin" | "controller-manager" | "scheduler" | "runtime";

const CLIENT_SUBJECTS: Record<ClientName, string> = {
  admin: "/O=system:masters/CN=steward-admin",
  "controller-manager": "/CN=system:kube-controller-manager",
  scheduler: "/CN=system:kube-scheduler",
  // The runtime plays kubelet, node proxy and volume provisioner at once: it needs more than
  // the Node authorizer grants a kubelet (PersistentVolumes, EndpointSlices for every Service).
  runtime: "/O=system:masters/CN=steward-local-runtime",
};

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

export function ensurePki(dir: string, apiserverSans: string[]): Pki {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = (name: string) => join(dir, name);
  const pki: Pki = {
    dir,
    caCert: path("ca.crt"),
    caKey: path("ca.key"),
    apiserverCert: path("apiserver.crt"),
    apiserverKey: path("apiserver.key"),
    serviceAccountKey: path("sa.key"),
    serviceAccountPub: path("sa.pub"),
    clients: {
      admin: { cert: path("admin.crt"), key: path("admin.key") },
      "controller-manager": { cert: path("controller-manager.crt"), key: path("controller-manager.key") },
      scheduler: { cert: path("scheduler.crt"), key: path("scheduler.key") },
      runtime: { cert: path("runtime.crt"), key: path("runtime.key") },
    },
  };
  if (!existsSync(pki.caCert)) {
    openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", pki.caKey, "-out", pki.caCert, "-days", "3650", "-subj", "/CN=steward-local-ca"], dir);
  }
  if (!existsSync(pki.serviceAccountKey)) {
    openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", pki.serviceAccountKey], dir);
    openssl(["pkey", "-in", pki.serviceAccountKey, "-pubout", "-out", pki.serviceAccountPub], dir);
  }
  const sanList = apiserverSans.map((san) => (/^[0-9.]+$/.test(san) ? `IP:${san}` : `DNS:${san}`)).join(",");
  const sanFile = path("apiserver.san");
  const sanChanged = !existsSync(sanFile) || readFileSync(sanFile, "utf8") !== sanList;
  if (!existsSync(pki.apiserverCert) || sanChanged) {
    issue(pki, "apiserver", "/CN=kube-apiserver", { san: sanList, serverAuth: true });
    writeFileSync(sanFile, sanList);
  }
  for (const [name, subject] of Object.entries(CLIENT_SUBJECTS) as [ClientName, string][]) {
    if (!existsSync(pki.clients[name].cert)) issue(pki, name, subject, { serverAuth: false });
  }
  return pki;
}

function issue(pki: Pki, name: string, subject: string, options: { san?: string; serverAuth: boolean }): void {
  const key = join(pki.dir, `${name}.key`);
  const csr = join(pki.dir, `${name}.csr`);
  const ext = join(pki.dir, `${name}.ext`);
  openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", csr, "-subj", subject], pki.dir);
  const lines = ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment", `extendedKeyUsage=${options.serverAuth ? "serverAuth,clientAuth" : "clientAuth"}`];
  if (options.san) lines.push(`subjectAltName=${options.san}`);
  writeFileSync(ext, lines.join("\n") + "\n");
  openssl(["x509", "-req", "-in", csr, "-CA", pki.caCert, "-CAkey", pki.caKey, "-CAcreateserial", "-out", join(pki.dir, `${name}.crt`), "-days", "3650", "-extfile", ext], pki.dir);
}
