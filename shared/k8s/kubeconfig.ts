/**
 * Where the API server is and how to prove who we are, read from a kubeconfig or a pod's
 * service account without @kubernetes/client-node: importing its KubeConfig pulls in the whole
 * generated API (~57 MiB of RSS measured on Node 24), a fifth of the operator's budget at a
 * thousand clusters. Credentials this file does not handle (exec plugins, auth providers) are
 * handed to client-node's KubeConfig, loaded only then, so nothing changes for those users.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, delimiter, isAbsolute, join } from "node:path";
import { isIPv6 } from "node:net";
import type { KubeConfig } from "@kubernetes/client-node";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/** TLS material and headers for one request. */
export interface ClusterConnection {
  tls: { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean; servername?: string };
  headers: Record<string, string>;
}

/** What KubeTransport needs to reach the API server. */
export interface ClusterAccess {
  /** The API server's URL, without a trailing slash. */
  readonly server: string;
  /** The current context's namespace, if it names one. */
  readonly namespace?: string;
  /** Asked before every request, so rotated tokens (service account, token files, exec plugins) are picked up. */
  connection(): Promise<ClusterConnection>;
}

const SERVICE_ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";
/** client-go and client-node read a token file again after a minute. */
const TOKEN_FILE_REREAD_MS = 60_000;

const kubeconfigSchema = z.looseObject({
  "current-context": z.string().optional(),
  clusters: z.array(z.looseObject({ name: z.string(), cluster: z.looseObject({ server: z.string() }) })).nullish(),
  users: z.array(z.looseObject({ name: z.string(), user: z.looseObject({}).nullish() })).nullish(),
  contexts: z.array(z.looseObject({ name: z.string(), context: z.looseObject({ cluster: z.string(), user: z.string().optional(), namespace: z.string().optional() }) })).nullish(),
});
type KubeconfigFile = z.infer<typeof kubeconfigSchema>;

const clusterSchema = z.looseObject({
  server: z.string(),
  "certificate-authority": z.string().optional(),
  "certificate-authority-data": z.string().optional(),
  "insecure-skip-tls-verify": z.boolean().optional(),
  "tls-server-name": z.string().optional(),
});

const userSchema = z.looseObject({
  "client-certificate": z.string().optional(),
  "client-certificate-data": z.string().optional(),
  "client-key": z.string().optional(),
  "client-key-data": z.string().optional(),
  token: z.string().optional(),
  "token-file": z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  as: z.string().optional(),
  exec: z.unknown().optional(),
  "auth-provider": z.unknown().optional(),
});

/** file, else $KUBECONFIG, else the pod's service account when in a cluster, else ~/.kube/config. */
export function loadClusterAccess(file?: string): ClusterAccess {
  if (file) return fromKubeconfigFiles([file]);
  const fromEnv = (process.env.KUBECONFIG ?? "").split(delimiter).filter(Boolean);
  if (fromEnv.length > 0) return fromKubeconfigFiles(fromEnv);
  if (process.env.KUBERNETES_SERVICE_HOST) return inClusterAccess();
  const home = join(homedir(), ".kube", "config");
  if (!existsSync(home)) throw new Error(`no kubeconfig: pass a file, set KUBECONFIG, or create ${home}`);
  return fromKubeconfigFiles([home]);
}

/** The pod's service account: its token file (rotated by the kubelet) and CA, as client-go reads them. */
export function inClusterAccess(root = SERVICE_ACCOUNT): ClusterAccess {
  const host = process.env.KUBERNETES_SERVICE_HOST ?? "";
  const port = process.env.KUBERNETES_SERVICE_PORT ?? "443";
  const scheme = port === "80" || port === "8080" || port === "8001" ? "http" : "https";
  const namespaceFile = join(root, "namespace");
  const namespace = existsSync(namespaceFile) ? readFileSync(namespaceFile, "utf8").trim() : undefined;
  const token = tokenFileReader(join(root, "token"));
  const ca = readFileSync(join(root, "ca.crt"));
  return {
    server: `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    namespace: namespace || undefined,
    async connection() {
      return { tls: { ca }, headers: { authorization: `Bearer ${token()}` } };
    },
  };
}

/**
 * One or more kubeconfig files, merged as kubectl merges $KUBECONFIG: the first file that sets
 * current-context wins, and the first entry of each name wins. Paths in a file are relative to it.
 */
export function fromKubeconfigFiles(files: string[]): ClusterAccess {
  const loaded = files.map((path) => ({ path, config: kubeconfigSchema.parse(parseYaml(readFileSync(path, "utf8")) ?? {}) }));
  const contextName = loaded.map(({ config }) => config["current-context"]).find(Boolean);
  if (!contextName) throw new Error(`the kubeconfig (${files.join(", ")}) has no current-context`);
  const context = firstNamed(loaded, (config) => config.contexts, contextName);
  if (!context) throw new Error(`the kubeconfig has no context "${contextName}"`);
  const cluster = firstNamed(loaded, (config) => config.clusters, context.entry.context.cluster);
  if (!cluster) throw new Error(`the kubeconfig has no cluster for context "${contextName}"`);
  const userName = context.entry.context.user;
  const user = userName ? firstNamed(loaded, (config) => config.users, userName) : undefined;
  const namespace = context.entry.context.namespace || undefined;
  const clusterFields = clusterSchema.parse(cluster.entry.cluster);
  const userFields = userSchema.parse(user?.entry.user ?? {});
  const server = clusterFields.server.replace(/\/+$/, "");
  if (userFields.exec !== undefined || userFields["auth-provider"] !== undefined) return clientNodeFallback(files, server, namespace);

  const inFile = (from: string, path: string | undefined) => (path === undefined || isAbsolute(path) ? path : join(dirname(from), path));
  const material = (from: string, path: string | undefined, data: string | undefined) => {
    const absolute = inFile(from, path);
    if (absolute) return readFileSync(absolute);
    return data ? Buffer.from(data, "base64") : undefined;
  };
  const tls: ClusterConnection["tls"] = {
    ca: material(cluster.path, clusterFields["certificate-authority"], clusterFields["certificate-authority-data"]),
    cert: user ? material(user.path, userFields["client-certificate"], userFields["client-certificate-data"]) : undefined,
    key: user ? material(user.path, userFields["client-key"], userFields["client-key-data"]) : undefined,
    rejectUnauthorized: clusterFields["insecure-skip-tls-verify"] === true ? false : undefined,
    servername: clusterFields["tls-server-name"],
  };
  const tokenFile = user ? inFile(user.path, userFields["token-file"]) : undefined;
  const token = userFields.token ? () => userFields.token : tokenFile ? tokenFileReader(tokenFile) : () => undefined;
  const basic = userFields.username ? `Basic ${Buffer.from(`${userFields.username}:${userFields.password ?? ""}`).toString("base64")}` : undefined;
  return {
    server,
    namespace,
    async connection() {
      const headers: Record<string, string> = {};
      const bearer = token();
      if (bearer) headers.authorization = `Bearer ${bearer}`;
      else if (basic) headers.authorization = basic;
      if (userFields.as) headers["impersonate-user"] = userFields.as;
      return { tls, headers };
    },
  };
}

/** Access through a client-node KubeConfig someone already holds (tests, the console, the local cluster). */
export function clientNodeAccess(kubeConfig: KubeConfig): ClusterAccess {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error(`the kubeconfig has no cluster for context "${kubeConfig.getCurrentContext()}"`);
  const context = kubeConfig.getContextObject(kubeConfig.getCurrentContext());
  return {
    server: cluster.server.replace(/\/+$/, ""),
    namespace: context?.namespace,
    async connection() {
      const options: { headers?: Record<string, unknown>; ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean; servername?: string } = {};
      await kubeConfig.applyToHTTPSOptions(options);
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(options.headers ?? {})) if (value !== undefined) headers[key.toLowerCase()] = String(value);
      const user = kubeConfig.getCurrentUser();
      if (user?.username && !headers.authorization) headers.authorization = `Basic ${Buffer.from(`${user.username}:${user.password ?? ""}`).toString("base64")}`;
      return { tls: { ca: options.ca, cert: options.cert, key: options.key, rejectUnauthorized: options.rejectUnauthorized, servername: options.servername ?? undefined }, headers };
    },
  };
}

/** Exec plugins and auth providers run as client-node runs them; only these users pay for loading it. */
function clientNodeFallback(files: string[], server: string, namespace: string | undefined): ClusterAccess {
  let access: ClusterAccess | undefined;
  const load = (): ClusterAccess => {
    // require() of an ES module is synchronous on the Node versions this package supports.
    const { KubeConfig: Config } = createRequire(import.meta.url)("@kubernetes/client-node") as { KubeConfig: new () => KubeConfig };
    const kubeConfig = new Config();
    kubeConfig.loadFromFile(files[0]!);
    for (const file of files.slice(1)) {
      const next = new Config();
      next.loadFromFile(file);
      kubeConfig.mergeConfig(next);
    }
    return clientNodeAccess(kubeConfig);
  };
  return {
    server,
    namespace,
    connection() {
      access ??= load();
      return access.connection();
    },
  };
}

function tokenFileReader(path: string): () => string {
  let token = "";
  let readAt = 0;
  return () => {
    if (!token || Date.now() - readAt > TOKEN_FILE_REREAD_MS) {
      token = readFileSync(path, "utf8").trim();
      readAt = Date.now();
    }
    return token;
  };
}

function firstNamed<T extends { name: string }>(
  loaded: { path: string; config: KubeconfigFile }[],
  entries: (config: KubeconfigFile) => T[] | null | undefined,
  name: string,
): { path: string; entry: T } | undefined {
  for (const { path, config } of loaded) {
    const entry = entries(config)?.find((candidate) => candidate.name === name);
    if (entry) return { path, entry };
  }
  return undefined;
}
