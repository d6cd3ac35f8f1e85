import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import type { V1Container, V1LifecycleHandler, V1Probe } from "@kubernetes/client-node";
import type { ExecResult } from "./containers.js";

/**
 * Probes and lifecycle handlers as the kubelet runs them: exec inside the container's
 * namespaces, tcpSocket and httpGet against the pod IP from the host side (where the kubelet
 * sits), with the probe's timeout. gRPC probes are approximated by a TCP connect.
 */
export interface ProbeTarget {
  podIP: string;
  container: V1Container;
  exec(command: string[], timeoutMs: number): Promise<ExecResult>;
}

export interface ProbeOutcome {
  ok: boolean;
  message?: string;
}

export function resolvePort(port: number | string | undefined, container: V1Container): number {
  if (typeof port === "number") return port;
  if (port !== undefined && /^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((p) => p.name === port);
  if (!named) throw new Error(`port "${port}" is not a number nor the name of a container port`);
  return named.containerPort;
}

function tcpCheck(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (outcome: ProbeOutcome) => {
      socket.destroy();
      resolve(outcome);
    };
    socket.setTimeout(timeoutMs, () => done({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` }));
    socket.once("connect", () => done({ ok: true }));
    socket.once("error", (error) => done({ ok: false, message: `dial tcp ${host}:${port}: ${error.message}` }));
  });
}

function httpCheck(handler: NonNullable<V1Probe["httpGet"]>, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const port = resolvePort(handler.port, target.container);
  const host = handler.host || target.podIP;
  const https = (handler.scheme ?? "HTTP").toUpperCase() === "HTTPS";
  const headers: Record<string, string> = { "User-Agent": "kube-probe/steward-local" };
  for (const header of handler.httpHeaders ?? []) headers[header.name] = header.value;
  return new Promise((resolve) => {
    const req = (https ? httpsRequest : httpRequest)({ host, port, path: handler.path ?? "/", method: "GET", headers, timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 400 ? { ok: true } : { ok: false, message: `HTTP probe failed with statuscode: ${status}` });
    });
    req.on("timeout", () => req.destroy(new Error("context deadline exceeded")));
    req.on("error", (error) => resolve({ ok: false, message: `Get "${https ? "https" : "http"}://${host}:${port}${handler.path ?? "/"}": ${error.message}` }));
    req.end();
  });
}

/** Runs a probe or lifecycle handler once. */
export async function runHandler(handler: V1Probe | V1LifecycleHandler, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  try {
    if (handler.exec) {
      const result = await target.exec(handler.exec.command ?? [], timeoutMs);
      if (result.timedOut) return { ok: false, message: `command timed out after ${timeoutMs} ms` };
      return result.exitCode === 0 ? { ok: true } : { ok: false, message: `command exited with ${result.exitCode}: ${(result.stdout + result.stderr).trim().slice(-500)}` };
    }
    if (handler.httpGet) return await httpCheck(handler.httpGet, target, timeoutMs);
    if (handler.tcpSocket) return await tcpCheck(handler.tcpSocket.host || target.podIP, resolvePort(handler.tcpSocket.port, target.container), timeoutMs);
    if ("grpc" in handler && handler.grpc) return await tcpCheck(target.podIP, handler.grpc.port, timeoutMs);
    if ("sleep" in handler && handler.sleep) {
      await new Promise((resolve) => setTimeout(resolve, handler.sleep!.seconds * 1000));
      return { ok: true };
    }
    return { ok: false, message: "handler has no exec, httpGet, tcpSocket, grpc or sleep action" };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

export type ProbeKind = "startup" | "liveness" | "readiness";

/**
 * One probe of one container, on its period, reporting its thresholded result whenever it
 * changes: success after successThreshold consecutive successes, failure after failureThreshold
 * consecutive failures. `undefined` before the first verdict.
 */
export class ProbeLoop {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  result: boolean | undefined;

  constructor(
    readonly kind: ProbeKind,
    private readonly probe: V1Probe,
    private readonly target: ProbeTarget,
    private readonly onChange: (kind: ProbeKind, ok: boolean, message?: string) => void,
  ) {}

  start(): void {
    this.schedule((this.probe.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), delayMs);
  }

  private async tick(): Promise<void> {
    const started = Date.now();
    const outcome = await runHandler(this.probe, this.target, (this.probe.timeoutSeconds ?? 1) * 1000);
    if (this.stopped) return;
    if (outcome.ok) {
      this.successes++;
      this.failures = 0;
    } else {
      this.failures++;
      this.successes = 0;
    }
    const successThreshold = this.kind === "readiness" ? (this.probe.successThreshold ?? 1) : 1;
    const failureThreshold = this.probe.failureThreshold ?? 3;
    let verdict = this.result;
    if (this.successes >= successThreshold) verdict = true;
    if (this.failures >= failureThreshold) verdict = false;
    const changed = verdict !== this.result;
    this.result = verdict;
    if (changed && verdict !== undefined) this.onChange(this.kind, verdict, outcome.message);
    if (this.kind === "startup" && verdict === true) return;
    const period = (this.probe.periodSeconds ?? 10) * 1000;
    this.schedule(Math.max(0, period - (Date.now() - started)));
  }
}
