import type { ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeApiError } from "../../shared/k8s/errors.js";
import { LIVE_KINDS, slim, type LiveKind } from "./api.js";
import type { UserApi } from "./identity.js";

/**
 * One server-sent-events stream per browser tab, fed by Kubernetes watches made with the
 * user's credentials: per kind a `reset` (the full list) and then `change` events as the API
 * server reports them. A watch that ends is resumed from the last resourceVersion; an expired
 * one (410) is listed again. The browser falls back to polling /api/snapshot if the stream fails.
 */
export function serveLive(api: UserApi, response: ServerResponse, onClose: (listener: () => void) => void, namespaces: string[] = []): void {
  response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" });
  const abort = new AbortController();
  const send = (event: string, data: unknown) => {
    if (!abort.signal.aborted) response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  // Comments keep proxies and the browser from timing an idle stream out.
  const heartbeat = setInterval(() => response.write(": keepalive\n\n"), 15_000);
  onClose(() => {
    clearInterval(heartbeat);
    abort.abort();
  });
  // A user whose RBAC is namespaced (a Role) names the namespaces; otherwise all of them at once.
  const scopes = namespaces.length > 0 ? namespaces : [undefined];
  for (const kind of Object.keys(LIVE_KINDS) as LiveKind[]) for (const namespace of scopes) void follow(api, kind, send, abort.signal, namespace);
}

async function follow(api: UserApi, kind: LiveKind, send: (event: string, data: unknown) => void, signal: AbortSignal, namespace: string | undefined): Promise<void> {
  const type = LIVE_KINDS[kind];
  while (!signal.aborted) {
    let resourceVersion: string;
    try {
      const list = await api.client.list(type, namespace, { signal });
      resourceVersion = list.resourceVersion;
      send("reset", { kind, namespace, items: list.items.map(slim) });
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof KubeApiError && error.statusCode === 403) {
        send("denied", { kind, namespace, message: error.message });
        return;
      }
      send("trouble", { kind, message: error instanceof Error ? error.message : String(error) });
      await sleep(2000, undefined, { signal }).catch(() => undefined);
      continue;
    }
    let expired = false;
    while (!signal.aborted && !expired) {
      try {
        await api.client.watch(type, namespace, { resourceVersion, signal, timeoutSeconds: 300, allowBookmarks: true }, (event) => {
          if (event.type === "ERROR") {
            expired = true;
            return;
          }
          if (event.object.metadata.resourceVersion) resourceVersion = event.object.metadata.resourceVersion;
          if (event.type === "BOOKMARK") return;
          send("change", { kind, type: event.type, object: slim(event.object) });
        });
      } catch {
        expired = true;
      }
    }
  }
}
