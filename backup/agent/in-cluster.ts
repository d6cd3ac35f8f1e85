import { existsSync, readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { KubeApiError } from "../../shared/k8s/errors.js";
import { resourcePath, type ResourceType } from "../../shared/k8s/resources.js";

/** Where the kubelet mounts a pod's service account; STEWARD_SERVICE_ACCOUNT_DIR moves it (an agent run outside a pod). */
export function serviceAccountDir(): string {
  return process.env.STEWARD_SERVICE_ACCOUNT_DIR ?? "/var/run/secrets/kubernetes.io/serviceaccount";
}

/**
 * The one API call an agent makes, a merge patch of its DatabaseBackup's or DatabaseRestore's
 * status, with the pod's service account over node:https: @kubernetes/client-node would add
 * ~70 MiB to a process that must stay under 128 MiB. The token is read for every call (the
 * kubelet rotates it). Undefined outside a pod (no KUBERNETES_SERVICE_HOST or no token).
 */
export class InClusterStatusClient {
  private constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly dir: string,
    private readonly ca: Buffer,
  ) {}

  static fromEnvironment(): InClusterStatusClient | undefined {
    const host = process.env.KUBERNETES_SERVICE_HOST;
    const dir = serviceAccountDir();
    if (!host || !existsSync(join(dir, "token"))) return undefined;
    return new InClusterStatusClient(host, Number(process.env.KUBERNETES_SERVICE_PORT ?? 443), dir, readFileSync(join(dir, "ca.crt")));
  }

  /** Merge-patches `{status}`; rejects with the server's message on a non-2xx answer. */
  patchStatus(type: ResourceType, namespace: string, name: string, status: Record<string, unknown>): Promise<void> {
    const body = JSON.stringify({ status });
    const path = resourcePath(type, namespace, name, "status");
    const token = readFileSync(join(this.dir, "token"), "utf8").trim();
    return new Promise((resolve, reject) => {
      const call = request(
        {
          host: this.host,
          port: this.port,
          path,
          method: "PATCH",
          ca: this.ca,
          timeout: 30_000,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/merge-patch+json", "content-length": Buffer.byteLength(body), accept: "application/json" },
        },
        (response) => {
          let text = "";
          response.setEncoding("utf8");
          response.on("data", (part: string) => (text = (text + part).slice(0, 4096)));
          response.on("end", () => {
            const code = response.statusCode ?? 0;
            if (code >= 200 && code < 300) resolve();
            else reject(KubeApiError.fromResponse("PATCH", path, code, text));
          });
          response.on("error", reject);
        },
      );
      call.on("timeout", () => call.destroy(new Error(`PATCH ${path}: no answer within 30 s`)));
      call.on("error", reject);
      call.end(body);
    });
  }
}

