/**
 * The operator's door to one RabbitMQ node: its management HTTP API. Every response is checked
 * with zod (fields the operator does not read pass through); every call has a timeout, because
 * a node asked about a peer it lost the network to answers only after net_ticktime.
 */
import { createHash } from "node:crypto";
import type { Agent } from "undici";
import { z } from "zod";

export interface Credentials {
  username: string;
  password: string;
}

export class ManagementApiError extends Error {
  override readonly name = "ManagementApiError";
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly body: string,
  ) {
    super(message);
  }
}

export const overviewSchema = z.looseObject({
  rabbitmq_version: z.string(),
  cluster_name: z.string().optional(),
  node: z.string(),
});
export type Overview = z.infer<typeof overviewSchema>;

export const nodeSchema = z.looseObject({
  name: z.string(),
  running: z.boolean(),
  type: z.string().optional(),
  /** Only present for running nodes whose statistics arrived (a node that just joined has none yet). */
  partitions: z.array(z.string()).nullish(),
  mem_alarm: z.boolean().nullish(),
  disk_free_alarm: z.boolean().nullish(),
  /** 3.11+ reports maintenance mode here; 3.10 does not. */
  being_drained: z.boolean().nullish(),
  uptime: z.number().nullish(),
});
export type NodeInfo = z.infer<typeof nodeSchema>;

export const queueSchema = z.looseObject({
  name: z.string(),
  vhost: z.string(),
  type: z.string().optional(),
  durable: z.boolean().optional(),
  exclusive: z.boolean().nullish(),
  arguments: z.record(z.string(), z.unknown()).optional(),
  /** Quorum queues: the Raft members and the members that are up. */
  members: z.array(z.string()).nullish(),
  online: z.array(z.string()).nullish(),
  leader: z.string().nullish(),
  /** Classic queues: the node the queue lives on. */
  node: z.string().nullish(),
  messages: z.number().nullish(),
  state: z.string().nullish(),
});
export type QueueInfo = z.infer<typeof queueSchema>;

const healthFailureSchema = z.looseObject({
  status: z.string(),
  reason: z.string().optional(),
  queues: z.array(z.looseObject({ name: z.string(), virtual_host: z.string().optional(), readable_name: z.string().optional() })).optional(),
});

export const userSchema = z.looseObject({
  name: z.string(),
  password_hash: z.string(),
  hashing_algorithm: z.string().optional(),
  tags: z.union([z.array(z.string()), z.string()]).optional(),
});
export type UserInfo = z.infer<typeof userSchema>;

export type QuorumCheck = { critical: false } | { critical: true; reason: string; queues: string[] };

export interface ManagementClientOptions {
  timeoutMs?: number;
  /** The CA (PEM) an https baseUrl's certificate and name are verified with. */
  ca?: string;
  /**
   * The plain HTTP API, tried when nothing listens on the HTTPS port: a node still running the
   * config it had before TLS was switched on (until its rolling restart). A server that answers
   * TLS with a wrong certificate is never retried without it.
   */
  plaintextFallbackUrl?: string;
}

/** `rabbit@host` → `http://host:15672/api` (`https://host:15671/api` with TLS). */
export function managementUrl(host: string, port: number, tls = false): string {
  return `${tls ? "https" : "http"}://${host}:${port}/api`;
}

/**
 * One connection pool per CA, shared by every client (the operator makes clients per
 * reconcile): verifying the chain and that the certificate names the host. undici (whose fetch
 * takes a dispatcher with a CA) loads only when a client needs it: plain HTTP uses the global fetch.
 */
const tlsAgents = new Map<string, Promise<{ agent: Agent; fetch: typeof import("undici").fetch }>>();
function tlsAgent(ca: string) {
  const key = createHash("sha256").update(ca).digest("hex");
  let agent = tlsAgents.get(key);
  if (!agent) {
    agent = import("undici").then((undici) => ({ agent: new undici.Agent({ connect: { ca, rejectUnauthorized: true } }), fetch: undici.fetch }));
    tlsAgents.set(key, agent);
  }
  return agent;
}

interface FetchResponse {
  ok: boolean;
  status: number;
  text(): Promise<string>;
}

export class ManagementClient {
  private readonly authorization: string;
  private readonly timeoutMs: number;
  private readonly tls?: ReturnType<typeof tlsAgent>;

  constructor(
    readonly baseUrl: string,
    credentials: Credentials,
    private readonly options: ManagementClientOptions = {},
  ) {
    this.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    if (baseUrl.startsWith("https:") && options.ca) this.tls = tlsAgent(options.ca);
  }

  private async send(baseUrl: string, method: string, path: string, body: unknown, timeoutMs: number): Promise<FetchResponse> {
    const init = {
      method,
      headers: { authorization: this.authorization, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    };
    if (baseUrl !== this.baseUrl || !this.tls) return fetch(`${baseUrl}${path}`, init);
    const tls = await this.tls;
    return tls.fetch(`${baseUrl}${path}`, { ...init, dispatcher: tls.agent });
  }

  private async call(method: string, path: string, body?: unknown, options: { timeoutMs?: number; accept?: number[] } = {}): Promise<{ status: number; text: string }> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    let response: FetchResponse;
    let baseUrl = this.baseUrl;
    try {
      try {
        response = await this.send(baseUrl, method, path, body, timeoutMs);
      } catch (error) {
        const fallback = this.options.plaintextFallbackUrl;
        if (!fallback || describeFetchError(error) !== "ECONNREFUSED") throw error;
        // Nothing on the plaintext port either (a node not running): the HTTPS error says so.
        response = await this.send(fallback, method, path, body, timeoutMs).catch(() => Promise.reject(error));
        baseUrl = fallback;
      }
    } catch (error) {
      const cause = error instanceof Error && error.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : describeFetchError(error);
      throw new ManagementApiError(`${method} ${path} on ${baseUrl}: ${cause}`, undefined, "");
    }
    const text = await response.text();
    if (!response.ok && !(options.accept ?? []).includes(response.status)) {
      throw new ManagementApiError(`${method} ${path} on ${this.baseUrl}: HTTP ${response.status} ${text.slice(0, 300)}`, response.status, text);
    }
    return { status: response.status, text };
  }

  private async json<T>(schema: z.ZodType<T>, path: string, options: { timeoutMs?: number } = {}): Promise<T> {
    const { text } = await this.call("GET", path, undefined, options);
    return schema.parse(JSON.parse(text));
  }

  overview(): Promise<Overview> {
    return this.json(overviewSchema, "/overview");
  }

  /** Every cluster member as this node sees it (running or not, its partitions and alarms). */
  nodes(): Promise<NodeInfo[]> {
    return this.json(z.array(nodeSchema), "/nodes");
  }

  /**
   * Every queue, without statistics: with statistics on, 3.10 repeats `members` and `online`
   * (the current value, then a stale copy from the metrics tables for a few seconds after a
   * membership change) and JSON.parse keeps the stale one.
   */
  queues(): Promise<QueueInfo[]> {
    return this.json(z.array(queueSchema), "/queues?disable_stats=true&enable_queue_totals=true", { timeoutMs: 15_000 });
  }

  /**
   * A node-local check that never waits for peers (unlike /nodes, which blocks until the node
   * gives up on an unreachable peer): answers whether the node runs and has no local alarm.
   */
  async localAlarms(timeoutMs?: number): Promise<{ alarms: boolean }> {
    const { status } = await this.call("GET", "/health/checks/local-alarms", undefined, { accept: [503], timeoutMs });
    return { alarms: status === 503 };
  }

  /** Whether stopping this node would make a quorum queue lose its majority (the node answering is the one checked). */
  async quorumCritical(): Promise<QuorumCheck> {
    const { status, text } = await this.call("GET", "/health/checks/node-is-quorum-critical", undefined, { accept: [503] });
    if (status === 200) return { critical: false };
    const failure = healthFailureSchema.parse(JSON.parse(text));
    return {
      critical: true,
      reason: failure.reason ?? "quorum queues would lose their quorum",
      queues: (failure.queues ?? []).map((queue) => `${queue.name} (vhost ${queue.virtual_host ?? "?"})`),
    };
  }

  /** Moves quorum queue leaders so every node leads about as many (asynchronous on the server). */
  async rebalanceQueues(): Promise<void> {
    await this.call("POST", "/rebalance/queues", {}, { timeoutMs: 30_000 });
  }

  /** 3.13+: adds `node` as a member of every quorum queue (strategy all). 404/405 on older servers. */
  async growQuorumQueues(node: string): Promise<void> {
    await this.call("POST", `/queues/quorum/replicas/on/${encodeURIComponent(node)}/grow`, { strategy: "all", queue_pattern: ".*", vhost_pattern: ".*" }, { timeoutMs: 120_000 });
  }

  /** 3.13+: removes `node` from every quorum queue's membership. 404/405 on older servers. */
  async shrinkQuorumQueues(node: string): Promise<void> {
    await this.call("DELETE", `/queues/quorum/replicas/on/${encodeURIComponent(node)}/shrink`, undefined, { timeoutMs: 120_000 });
  }

  async user(name: string): Promise<UserInfo | undefined> {
    const { status, text } = await this.call("GET", `/users/${encodeURIComponent(name)}`, undefined, { accept: [404] });
    return status === 404 ? undefined : userSchema.parse(JSON.parse(text));
  }

  async putUser(name: string, password: string, tags: string[]): Promise<void> {
    await this.call("PUT", `/users/${encodeURIComponent(name)}`, { password, tags: tags.join(",") });
  }

  async setPermissions(vhost: string, user: string, permissions: { configure: string; write: string; read: string }): Promise<void> {
    await this.call("PUT", `/permissions/${encodeURIComponent(vhost)}/${encodeURIComponent(user)}`, permissions);
  }

  /** The cluster's definitions as the server writes them (users with password hashes). */
  async exportDefinitions(): Promise<string> {
    return (await this.call("GET", "/definitions", undefined, { timeoutMs: 60_000 })).text;
  }

  async importDefinitions(definitions: unknown): Promise<void> {
    await this.call("POST", "/definitions", definitions, { timeoutMs: 300_000 });
  }

  async hasPermissions(vhost: string, user: string): Promise<boolean> {
    const { status } = await this.call("GET", `/permissions/${encodeURIComponent(vhost)}/${encodeURIComponent(user)}`, undefined, { accept: [404] });
    return status !== 404;
  }

  async deleteUser(name: string): Promise<void> {
    await this.call("DELETE", `/users/${encodeURIComponent(name)}`, undefined, { accept: [404] });
  }

  /** Deletes a vhost, its queues (and their messages), exchanges, bindings and policies. */
  async deleteVhost(name: string): Promise<void> {
    await this.call("DELETE", `/vhosts/${encodeURIComponent(name)}`, undefined, { accept: [404], timeoutMs: 60_000 });
  }

  async deleteObject(kind: "queues" | "exchanges" | "policies", vhost: string, name: string): Promise<void> {
    await this.call("DELETE", `/${kind}/${encodeURIComponent(vhost)}/${encodeURIComponent(name)}`, undefined, { accept: [404], timeoutMs: 60_000 });
  }
}

/** fetch's "fetch failed" hides the reason in `cause` (ECONNREFUSED, ENOTFOUND, ...). */
export function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? error.message;
}

/** True when the server does not know the endpoint (an older version): the caller falls back. */
export function isMissingEndpoint(error: unknown): boolean {
  return error instanceof ManagementApiError && (error.status === 404 || error.status === 405);
}
