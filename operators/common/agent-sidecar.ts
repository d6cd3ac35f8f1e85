/**
 * What every engine's agent sidecar (`steward agent <engine>-sidecar`) shares: its settings come
 * from the pod's environment, its HTTP endpoints (all but /healthz) require the bearer token from
 * the cluster's credentials Secret, and it serves until the kubelet stops it.
 */
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, Server } from "node:http";

/** The environment variable the pod template puts the bearer token in (operators/common/resources/containers.ts). */
export const AGENT_TOKEN_ENV = "STEWARD_AGENT_TOKEN";

/** A variable the pod template provides; its absence is a broken template, not a user error. */
export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set; the pod template provides it`);
  return value;
}

/** Whether the request carries `Authorization: Bearer <token>` (compared in constant time). */
export function hasBearerToken(request: Pick<IncomingMessage, "headers">, token: string): boolean {
  const header = request.headers.authorization ?? "";
  const given = Buffer.from(header.startsWith("Bearer ") ? header.slice(7) : "");
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** What every agent sidecar's HTTP server takes. */
export interface AgentServerOptions {
  /** The bearer token its endpoints require (from AGENT_TOKEN_ENV). */
  token: string;
  /** Default the engine's agent port. */
  port?: number;
  host?: string;
  log?: (line: string) => void;
}

/** Starts listening; resolves once it does (rejects when the port is taken). */
export function listen(server: Server, port: number, host: string | undefined): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** Resolves once SIGTERM or SIGINT closed the server (the container's main loop). */
export function serveUntilStopped(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => server.close(() => resolve());
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
}
