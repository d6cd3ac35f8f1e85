import { createServer, type IncomingMessage, type Server } from "node:http";
import { chmodSync, rmSync } from "node:fs";
import type { ContainerRef, ExecRequest, ExecResponse, NetworkFault, NodeFault, PodInfo, PodRef, RuntimeStatus } from "./control-api.js";

/** What the control API acts on (implemented by the runtime). */
export interface ControlTarget {
  status(): RuntimeStatus;
  pods(): PodInfo[];
  crash(ref: ContainerRef): Promise<void>;
  killPod(ref: PodRef): Promise<void>;
  network(fault: NetworkFault): Promise<void>;
  node(fault: NodeFault): Promise<void>;
  exec(request: ExecRequest): Promise<ExecResponse>;
}

class BadRequest extends Error {}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = "";
  for await (const chunk of req) text += String(chunk);
  try {
    const value: unknown = text ? JSON.parse(text) : {};
    if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error("not an object");
    return value as Record<string, unknown>;
  } catch {
    throw new BadRequest("the body must be a JSON object");
  }
}

function str(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (typeof value !== "string" || value === "") throw new BadRequest(`${key} must be a non-empty string`);
  return value;
}

function optionalStr(body: Record<string, unknown>, key: string): string | undefined {
  return body[key] === undefined ? undefined : str(body, key);
}

function oneOf<T extends string>(body: Record<string, unknown>, key: string, values: readonly T[]): T {
  const value = body[key];
  if (typeof value !== "string" || !values.includes(value as T)) throw new BadRequest(`${key} must be one of ${values.join(", ")}`);
  return value as T;
}

/** Serves the control API on a unix socket readable by root only. */
export async function serveControl(socketPath: string, target: ControlTarget, log: (line: string) => void): Promise<Server> {
  rmSync(socketPath, { force: true });
  const server = createServer((req, res) => {
    const send = (code: number, body: unknown) => {
      const text = JSON.stringify(body ?? {});
      res.writeHead(code, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      res.end(text);
    };
    void (async () => {
      const route = `${req.method} ${req.url?.split("?")[0]}`;
      try {
        if (route === "GET /status") return send(200, target.status());
        if (route === "GET /pods") return send(200, target.pods());
        if (req.method !== "POST") return send(404, { error: `no route ${route}` });
        const body = await readJson(req);
        const pod = () => ({ namespace: str(body, "namespace"), pod: str(body, "pod") });
        switch (req.url) {
          case "/faults/crash":
            await target.crash({ ...pod(), container: optionalStr(body, "container") });
            return send(200, {});
          case "/faults/kill-pod":
            await target.killPod(pod());
            return send(200, {});
          case "/faults/network":
            await target.network({ ...pod(), state: oneOf(body, "state", ["cut", "restore"] as const) });
            return send(200, {});
          case "/faults/node":
            await target.node({ node: optionalStr(body, "node"), state: oneOf(body, "state", ["stop", "start", "isolate", "restore"] as const) });
            return send(200, {});
          case "/exec": {
            const command = body.command;
            if (!Array.isArray(command) || command.length === 0 || !command.every((part) => typeof part === "string")) throw new BadRequest("command must be a non-empty array of strings");
            const timeoutMs = typeof body.timeoutMs === "number" ? body.timeoutMs : 30_000;
            return send(200, await target.exec({ ...pod(), container: optionalStr(body, "container"), command: command as string[], timeoutMs }));
          }
          default:
            return send(404, { error: `no route ${route}` });
        }
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (!(error instanceof BadRequest)) log(`control ${route}: ${message}`);
        send(error instanceof BadRequest ? 400 : /not found|has no container|not running|^no node/.test(message) ? 404 : 500, { error: message });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  chmodSync(socketPath, 0o600);
  return server;
}
