import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { extname, join, normalize, resolve, sep } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { z } from "zod";
import { KubeApiError } from "../../shared/k8s/errors.js";
import { rootLogger, type Logger } from "../../shared/log.js";
import { changeCluster, checkAccess, clusterEvents, connectionDetails, createBackup, createRestore, revealPassword, namespacesParameter, snapshot } from "./api.js";
import { deployTemplate, listStorages, listTemplates, testStorage } from "./catalog.js";
import { HttpError, readJson, securityHeaders, sendError, sendJson } from "./http.js";
import { UserApi, kubeConfigForToken, whoAmI } from "./identity.js";
import { serveLive } from "./live.js";
import { SessionStore, csrfMatches, sameOrigin, sessionCookie, type Session } from "./session.js";

export interface ConsoleOptions {
  port: number;
  listen: string;
  /** kubeconfig: every browser acts as the kubeconfig's user (local use). token: each user signs in with their own bearer token. */
  auth: "kubeconfig" | "token";
  /** The kubeconfig file (default the usual lookup); in token mode only its cluster address and CA are used. */
  kubeconfig?: string;
  tls?: { certFile: string; keyFile: string };
  /** Folder of the built web app (console/web/dist). */
  webRoot: string;
  log?: Logger;
}

export interface RunningConsole {
  url: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".map": "application/json",
};

/** The in-cluster CA, where the chart mounts it (the kube-root-ca.crt ConfigMap; no token beside it). */
export const IN_CLUSTER_CA = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";

function loadKubeConfig(file: string | undefined, auth: ConsoleOptions["auth"]): KubeConfig {
  const config = new KubeConfig();
  if (file) config.loadFromFile(file);
  else if (auth === "token" && !process.env.KUBECONFIG && process.env.KUBERNETES_SERVICE_HOST) {
    // In the cluster the console has no credentials of its own (no service account token):
    // only the API server's address and CA, to which each user's token is sent.
    const host = process.env.KUBERNETES_SERVICE_HOST;
    const server = `https://${host.includes(":") ? `[${host}]` : host}:${process.env.KUBERNETES_SERVICE_PORT ?? "443"}`;
    config.loadFromOptions({ clusters: [{ name: "in-cluster", server, caFile: IN_CLUSTER_CA }], users: [{ name: "nobody" }], contexts: [{ name: "in-cluster", cluster: "in-cluster", user: "nobody" }], currentContext: "in-cluster" });
  } else config.loadFromDefault();
  return config;
}

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** The console's web server: static files, the JSON API and the live stream, all in one process. */
export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const log = (options.log ?? rootLogger).child({ component: "console" });
  const kubeConfig = loadKubeConfig(options.kubeconfig, options.auth);
  const sessions = new SessionStore<UserApi>();
  let localUser: UserApi | undefined;
  if (options.auth === "kubeconfig") localUser = new UserApi(kubeConfig, await whoAmI(kubeConfig));
  const webRoot = resolve(options.webRoot);
  const tls = Boolean(options.tls);
  let allowedHosts = new Set<string>();

  const route = async (request: IncomingMessage, response: ServerResponse, session: Session<UserApi>): Promise<void> => {
    const url = new URL(request.url ?? "/", "http://console");
    const path = url.pathname;
    const method = request.method ?? "GET";
    if (!path.startsWith("/api/")) return serveStatic(webRoot, path, response, String(request.headers["accept-encoding"] ?? ""));
    if (MUTATING.has(method) && (!csrfMatches(session, request) || !sameOrigin(request))) {
      throw new HttpError(403, "refused: the request lacks this session's CSRF token or comes from another origin");
    }
    if (path === "/api/session" && method === "GET") {
      return sendJson(response, 200, { csrf: session.csrf, auth: options.auth, user: session.identity?.username });
    }
    if (path === "/api/login" && method === "POST") {
      if (options.auth !== "token") throw new HttpError(400, "this console uses the kubeconfig's identity; there is nothing to sign in to");
      const { token } = z.object({ token: z.string().min(10).max(16384) }).parse(await readJson(request));
      const userConfig = kubeConfigForToken(kubeConfig, token.trim());
      let username: string;
      try {
        username = await whoAmI(userConfig);
      } catch (error) {
        if (error instanceof KubeApiError && error.statusCode === 401) throw new HttpError(401, "the API server did not accept this token");
        throw new HttpError(502, `could not ask the API server who this token is: ${error instanceof Error ? error.message : String(error)}`);
      }
      const next = sessions.rotate(session, new UserApi(userConfig, username));
      await session.identity?.close();
      log.info({ user: username }, "signed in");
      response.setHeader("set-cookie", sessionCookie(next));
      return sendJson(response, 200, { csrf: next.csrf, auth: options.auth, user: username });
    }
    if (path === "/api/logout" && method === "POST") {
      sessions.remove(session);
      if (session.identity !== localUser) await session.identity?.close();
      response.setHeader("set-cookie", sessionCookie(undefined));
      return sendJson(response, 200, {});
    }
    const api = session.identity;
    if (!api) throw new HttpError(401, "sign in with a Kubernetes bearer token first");
    if (path === "/api/live" && method === "GET") return serveLive(api, response, (listener) => response.on("close", listener), namespacesParameter(url));
    if (path === "/api/snapshot" && method === "GET") return sendJson(response, 200, await snapshot(api, namespacesParameter(url)));
    if (path === "/api/access" && method === "POST") return sendJson(response, 200, await checkAccess(api, await readJson(request)));
    if (path === "/api/backups" && method === "POST") return sendJson(response, 201, await createBackup(api, await readJson(request)));
    if (path === "/api/restores" && method === "POST") return sendJson(response, 201, await createRestore(api, await readJson(request)));
    if (path === "/api/templates" && method === "GET") return sendJson(response, 200, await listTemplates(api));
    if (path === "/api/deploy" && method === "POST") return sendJson(response, 201, await deployTemplate(api, await readJson(request)));
    if (path === "/api/storages" && method === "GET") return sendJson(response, 200, await listStorages(api));
    const storage = /^\/api\/storages\/([^/]+)\/([^/]+)\/test$/.exec(path);
    if (storage && method === "POST") return sendJson(response, 200, await testStorage(api, decodeURIComponent(storage[1]!), decodeURIComponent(storage[2]!)));
    const cluster = /^\/api\/clusters\/([^/]+)\/([^/]+)(\/[a-z]+)?$/.exec(path);
    if (cluster) {
      const [namespace, name, tail] = [decodeURIComponent(cluster[1]!), decodeURIComponent(cluster[2]!), cluster[3]];
      if (tail === "/events" && method === "GET") return sendJson(response, 200, await clusterEvents(api, namespace, name));
      if (tail === "/connection" && method === "GET") return sendJson(response, 200, await connectionDetails(api, namespace, name));
      if (tail === "/password" && method === "POST") return sendJson(response, 200, { password: await revealPassword(api, namespace, name) });
      if (tail === undefined && method === "PATCH") return sendJson(response, 200, await changeCluster(api, namespace, name, await readJson(request)));
    }
    throw new HttpError(404, `no ${method} ${path}`);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const started = Date.now();
    securityHeaders(response, tls);
    // Only the console's own names: a DNS-rebinding page must not reach it under another name.
    if (options.auth === "kubeconfig" && !allowedHosts.has(request.headers.host ?? "")) {
      sendJson(response, 421, { message: `this console answers only to ${[...allowedHosts].join(", ")}` });
      return;
    }
    // Paths carry no credentials (tokens travel in bodies and headers only); query strings are not logged.
    response.on("finish", () => log.debug({ method: request.method, path: (request.url ?? "").split("?")[0], status: response.statusCode, ms: Date.now() - started }, "request"));
    // The kubelet's probes: answered before any session is made (a probe keeps no cookie).
    if (request.url === "/healthz" && request.method === "GET") return void sendJson(response, 200, { ok: true });
    let session = sessions.find(request);
    if (!session) {
      session = sessions.create(localUser);
      response.setHeader("set-cookie", sessionCookie(session));
    }
    try {
      await route(request, response, session);
    } catch (error) {
      if (!response.headersSent) sendError(response, error);
      else response.end();
    }
  };

  const listener = (request: IncomingMessage, response: ServerResponse) => void handle(request, response);
  const server: Server = options.tls
    ? createHttpsServer({ cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) }, listener)
    : createHttpServer(listener);
  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(options.port, options.listen, () => done());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.listen.includes(":") ? `[${options.listen}]` : options.listen;
  allowedHosts = new Set([`${host}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]);
  const url = `${tls ? "https" : "http"}://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}/`;
  log.info({ url, auth: options.auth }, "console listening");
  return {
    url,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await localUser?.close();
    },
  };
}

/** Compressed once per file: the bundle is ~0.6 MB (zod is most of it) and ~0.13 MB gzipped. */
const gzipped = new Map<string, Buffer>();

async function serveStatic(webRoot: string, path: string, response: ServerResponse, acceptEncoding: string): Promise<void> {
  const relative = normalize(path === "/" ? "/index.html" : path).replace(/^([/\\])+/, "");
  const file = join(webRoot, relative);
  if (!file.startsWith(webRoot + sep)) throw new HttpError(404, "not found");
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    throw new HttpError(404, `not found: ${path}${relative === "index.html" ? " (the web app is not built: npm run build)" : ""}`);
  }
  const headers: Record<string, string> = {
    "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
    // index.html names hashed bundles, so it is never cached; the bundles may be.
    "cache-control": relative === "index.html" ? "no-cache" : "public, max-age=31536000, immutable",
    vary: "accept-encoding",
  };
  if (/\bgzip\b/.test(acceptEncoding) && body.length > 1024) {
    let compressed = gzipped.get(file);
    if (!compressed) gzipped.set(file, (compressed = gzipSync(body)));
    headers["content-encoding"] = "gzip";
    body = compressed;
  }
  response.writeHead(200, headers);
  response.end(body);
}
