import { StringDecoder } from "node:string_decoder";
import type { KubeConfig } from "@kubernetes/client-node";
import { Agent, request, type Dispatcher } from "undici";
import { KubeApiError } from "./errors.js";
import { clientNodeAccess, type ClusterAccess, type ClusterConnection } from "./kubeconfig.js";

export interface HttpRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

const REQUEST_TIMEOUT_MS = 60_000;

/** Our own access (shared/k8s/kubeconfig.ts) as it is; a client-node KubeConfig through an adapter. */
export function accessOf(config: ClusterAccess | KubeConfig): ClusterAccess {
  return "applyToHTTPSOptions" in config ? clientNodeAccess(config) : config;
}

/**
 * HTTP to the API server with the kubeconfig's TLS and credentials. client-node's own
 * `applySecurityAuthentication` builds a new undici Agent (a new TLS connection) for every
 * request; this keeps one Agent per set of TLS material and asks for headers on each request,
 * so rotated tokens (in-cluster, exec plugins) are still picked up.
 */
export class KubeTransport {
  private agent?: { fingerprint: string; dispatcher: Agent };
  /** Requests sent, by verb as the API server counts them (GET, LIST, WATCH, APPLY, PATCH, ...). */
  readonly requestCounts = new Map<string, number>();
  readonly access: ClusterAccess;

  constructor(config: ClusterAccess | KubeConfig) {
    this.access = accessOf(config);
  }

  get server(): string {
    return this.access.server;
  }

  /** A GET whose answer is not JSON (the API server's /metrics, for instance). */
  async text(path: string): Promise<string> {
    const response = await this.send({ method: "GET", path }, { headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS });
    const text = await response.body.text();
    if (response.statusCode < 200 || response.statusCode >= 300) throw KubeApiError.fromResponse("GET", path, response.statusCode, text);
    return text;
  }

  /** Sends a request and parses the JSON answer; a non-2xx answer throws KubeApiError. */
  async json(req: HttpRequest): Promise<unknown> {
    const response = await this.send(req, { headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS });
    const text = await response.body.text();
    if (response.statusCode < 200 || response.statusCode >= 300) throw KubeApiError.fromResponse(req.method, req.path, response.statusCode, text);
    return text.length === 0 ? undefined : JSON.parse(text);
  }

  /**
   * Opens a streaming GET and hands each JSON line to onLine. Resolves when the server ends
   * the stream or the signal aborts it; rejects when the connection breaks.
   */
  async streamLines(req: HttpRequest, bodyTimeoutMs: number, onLine: (line: string) => void): Promise<void> {
    let response: Dispatcher.ResponseData;
    try {
      response = await this.send(req, { headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: bodyTimeoutMs });
    } catch (error) {
      if (req.signal?.aborted) return;
      throw error;
    }
    if (response.statusCode < 200 || response.statusCode >= 300) {
      throw KubeApiError.fromResponse(req.method, req.path, response.statusCode, await response.body.text());
    }
    const decoder = new StringDecoder("utf8");
    let pending = "";
    try {
      for await (const chunk of response.body) {
        pending += decoder.write(chunk as Buffer);
        let newline: number;
        while ((newline = pending.indexOf("\n")) >= 0) {
          const line = pending.slice(0, newline).trim();
          pending = pending.slice(newline + 1);
          if (line) onLine(line);
        }
      }
    } catch (error) {
      if (req.signal?.aborted) return;
      throw error;
    }
    const rest = (pending + decoder.end()).trim();
    if (rest) onLine(rest);
  }

  /** Closes pooled connections; requests in flight fail. */
  async close(): Promise<void> {
    const agent = this.agent;
    this.agent = undefined;
    await agent?.dispatcher.destroy();
  }

  private async send(req: HttpRequest, timeouts: { headersTimeout: number; bodyTimeout: number }): Promise<Dispatcher.ResponseData> {
    const verb = verbOf(req);
    this.requestCounts.set(verb, (this.requestCounts.get(verb) ?? 0) + 1);
    const connection = await this.access.connection();
    const headers: Record<string, string> = { accept: "application/json", ...connection.headers };
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers["content-type"] = req.contentType ?? "application/json";
    }
    const query: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.query ?? {})) if (value !== undefined) query[key] = String(value);
    const search = new URLSearchParams(query).toString();
    return request(`${this.server}${req.path}${search ? `?${search}` : ""}`, {
      method: req.method,
      headers,
      body,
      signal: req.signal,
      dispatcher: this.dispatcherFor(connection.tls),
      ...timeouts,
    });
  }

  private dispatcherFor(tls: ClusterConnection["tls"]): Agent {
    const fingerprint = JSON.stringify([this.server, tls.ca?.toString(), tls.cert?.toString(), tls.key?.toString(), tls.rejectUnauthorized, tls.servername]);
    if (this.agent?.fingerprint !== fingerprint) {
      const previous = this.agent?.dispatcher;
      // Keepalive probes find a dead API server connection long before a watch's body timeout would.
      this.agent = { fingerprint, dispatcher: new Agent({ connect: { ...tls, keepAlive: true, keepAliveInitialDelay: 30_000 } }) };
      void previous?.close().catch(() => undefined);
    }
    return this.agent.dispatcher;
  }
}

/** The API server's verb for a request (apiserver_request_total's), so both sides count alike. */
function verbOf(req: HttpRequest): string {
  if (req.method === "PATCH" && req.contentType === "application/apply-patch+yaml") return "APPLY";
  if (req.method !== "GET") return req.method;
  if (req.query?.watch) return "WATCH";
  // A collection path ends in the plural (odd segment count after /api/v1 or /apis/group/version).
  const segments = req.path.split("/").filter(Boolean);
  const base = segments[0] === "api" ? 2 : 3;
  const rest = segments.length - base;
  return rest === 1 || (rest === 3 && segments[base] === "namespaces") ? "LIST" : "GET";
}
