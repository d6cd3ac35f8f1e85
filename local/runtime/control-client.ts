import { request } from "node:http";
import type { ContainerRef, ExecRequest, ExecResponse, NetworkFault, NodeFault, PodInfo, PodRef, RuntimeStatus } from "./control-api.js";

export type * from "./control-api.js";

/**
 * Typed client of the runtime's control socket, for tests in another process than the runtime
 * (vitest workers) and for `steward local` commands.
 */
export class RuntimeControl {
  constructor(readonly socketPath: string) {}

  private call<T>(method: "GET" | "POST", path: string, body?: unknown, timeoutMs = 120_000): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request({ socketPath: this.socketPath, method, path, headers: payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}, timeout: timeoutMs }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => {
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = text;
          }
          if ((res.statusCode ?? 500) >= 400) {
            const message = (parsed as { error?: string } | undefined)?.error ?? text;
            reject(new Error(`runtime ${method} ${path}: ${res.statusCode} ${message}`));
          } else resolve(parsed as T);
        });
      });
      req.on("timeout", () => req.destroy(new Error(`runtime ${method} ${path} timed out`)));
      req.on("error", reject);
      req.end(payload);
    });
  }

  status(): Promise<RuntimeStatus> {
    return this.call("GET", "/status");
  }

  pods(): Promise<PodInfo[]> {
    return this.call("GET", "/pods");
  }

  /** SIGKILLs every process of the container; it restarts under the pod's restart policy. */
  crashContainer(ref: ContainerRef): Promise<void> {
    return this.call("POST", "/faults/crash", ref);
  }

  /** SIGKILLs every container of the pod (a pod whose processes all died at once). */
  killPod(ref: PodRef): Promise<void> {
    return this.call("POST", "/faults/kill-pod", ref);
  }

  /** Takes the pod's link down (nothing in or out) or brings it back. */
  setNetwork(fault: NetworkFault): Promise<void> {
    return this.call("POST", "/faults/network", fault);
  }

  /** A node fault on one node (fault.node) or every node: stop/start (a crash), isolate/restore (a partition). */
  setNode(fault: NodeFault): Promise<void> {
    return this.call("POST", "/faults/node", fault);
  }

  /** Runs a command inside a running container's namespaces, as its user. */
  exec(request: ExecRequest): Promise<ExecResponse> {
    return this.call("POST", "/exec", request, (request.timeoutMs ?? 30_000) + 10_000);
  }
}
