/**
 * `steward agent rabbitmq-sidecar`: the agent beside a RabbitMQ node, for the few operations
 * the management HTTP API does not offer (on every version: forgetting a removed node; before
 * 3.13: growing and shrinking quorum queue memberships). It runs RabbitMQ's own CLI tools
 * against the local node, with the cookie in HOME, and nothing else. HTTP on PORTS.agent:
 * - GET /healthz: the agent runs;
 * - POST /v1/rabbitmq/{grow,shrink,forget} {"node": "rabbit@..."} (bearer token): the command's
 *   outcome as JSON. Only node names of the cluster's shape are accepted: arguments go to
 *   execFile, never through a shell;
 * - POST /v1/rabbitmq/reload-tls {"node": <the local node>}: copies a renewed certificate from
 *   the mounted Secret where RabbitMQ reads it and clears the node's PEM cache, so new TLS
 *   connections get it (open ones keep theirs; no restart). The script is fixed; the node name
 *   is its only argument.
 * The image the sidecar runs must carry the RabbitMQ CLI (rabbitmqctl, rabbitmq-queues); the
 * local runtime uses the host's.
 */
import { execFile } from "node:child_process";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { hasBearerToken, listen, type AgentServerOptions } from "../../common/agent-sidecar.js";
import { buildTlsReloadScript } from "../config.js";
import { PORTS } from "../names.js";

export const AGENT_OPERATIONS = ["grow", "shrink", "forget", "reload-tls"] as const;
export type AgentOperation = (typeof AGENT_OPERATIONS)[number];

export interface AgentResult {
  ok: boolean;
  exitCode: number;
  /** The tool's output (JSON lines for grow and shrink), trimmed to 16 KiB. */
  output: string;
  /** Queues the tool reported as failed (grow, shrink). */
  failures: string[];
}

const NODE_NAME = /^[A-Za-z0-9_-]+@[A-Za-z0-9.-]+$/;

/** argv of the CLI call for one operation against `localNode`. */
export function cliCommand(operation: AgentOperation, localNode: string, target: string): { command: string; args: string[] } {
  if (!NODE_NAME.test(target)) throw new Error(`"${target}" is not a node name`);
  const common = ["-q", "-l", "-n", localNode];
  switch (operation) {
    case "grow":
      return { command: "rabbitmq-queues", args: [...common, "grow", target, "all", "--formatter", "json"] };
    case "shrink":
      return { command: "rabbitmq-queues", args: [...common, "shrink", target, "--formatter", "json"] };
    case "forget":
      return { command: "rabbitmqctl", args: [...common, "forget_cluster_node", target] };
    case "reload-tls":
      return { command: "sh", args: ["-c", buildTlsReloadScript(), "sh", localNode] };
  }
}

/** Queues a grow/shrink JSON report lists with a result other than ok. */
export function reportedFailures(output: string): string[] {
  const start = output.indexOf("[");
  if (start < 0) return [];
  try {
    const rows = JSON.parse(output.slice(start)) as { vhost?: string; name?: string; result?: unknown }[];
    return rows.filter((row) => row.result !== "ok").map((row) => `${row.name ?? "?"} (vhost ${row.vhost ?? "?"}): ${JSON.stringify(row.result)}`);
  } catch {
    return [];
  }
}

export function runCli(operation: AgentOperation, localNode: string, target: string, timeoutMs = 120_000): Promise<AgentResult> {
  const { command, args } = cliCommand(operation, localNode, target);
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 4 << 20 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`.slice(-16_384);
      const exitCode = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      const failures = operation === "grow" || operation === "shrink" ? reportedFailures(stdout) : [];
      resolve({ ok: exitCode === 0 && failures.length === 0, exitCode, output, failures });
    });
  });
}

async function readBody(request: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of request) {
    text += String(chunk);
    if (text.length > 4096) throw new Error("request body too large");
  }
  return text;
}

export interface SidecarOptions extends AgentServerOptions {
  localNode: string;
}

export function startSidecar(options: SidecarOptions): Promise<Server> {
  const log = options.log ?? ((line: string) => console.log(line));
  // One CLI operation at a time: membership changes of one cluster must not interleave.
  let queue: Promise<unknown> = Promise.resolve();
  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (request.method === "GET" && path === "/healthz") return send(200, { ok: true });
    const match = /^\/v1\/rabbitmq\/([a-z-]+)$/.exec(path);
    const operation = match?.[1] as AgentOperation | undefined;
    if (request.method !== "POST" || !operation || !AGENT_OPERATIONS.includes(operation)) return send(404, { error: `no such endpoint ${request.method} ${path}` });
    if (!hasBearerToken(request, options.token)) return send(401, { error: "missing or wrong bearer token" });
    readBody(request)
      .then(async (text) => {
        const node = (JSON.parse(text || "{}") as { node?: unknown }).node;
        if (typeof node !== "string" || !NODE_NAME.test(node)) return send(400, { error: "body must be {\"node\": \"rabbit@<host>\"}" });
        const run = queue.then(() => runCli(operation, options.localNode, node));
        queue = run.catch(() => undefined);
        const result = await run;
        log(`${operation} ${node}: exit ${result.exitCode}${result.failures.length ? `, failed: ${result.failures.join("; ")}` : ""}`);
        send(200, result);
      })
      .catch((error: unknown) => send(400, { error: error instanceof Error ? error.message : String(error) }));
  });
  return listen(server, options.port ?? PORTS.agent, options.host ?? "0.0.0.0");
}
