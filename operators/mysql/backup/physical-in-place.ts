/**
 * The restore Job's half of an in-place physical restore (the sidecar's half is
 * agent/in-place-restore.ts). A prepared InnoDB copy can only become a data directory while
 * the server is stopped, and only the pod that holds the data can touch it: so the Job, which
 * holds the storage credentials and reads S3, streams each copy of the chain (decrypted,
 * decompressed) to the primary's agent, which prepares it beside the data; then asks it to
 * switch (stop, swap, start); and, once the binlogs are replayed and the tables checksummed,
 * asks every other instance's agent to copy the restored primary again: they hold the history
 * the restore replaced, which must never be merged.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { EngineEndpoint, LoadOptions } from "../../../backup/engine-backup.js";
import type { Logger } from "../../../shared/log.js";
import { AGENT_PORT } from "../names.js";

function agentToken(endpoint: EngineEndpoint): string {
  const token = endpoint.options?.agentToken;
  if (!token) throw new Error("an in-place physical restore goes through the instances' agents, and the Job has no STEWARD_AGENT_TOKEN (the Job target sets it)");
  return token;
}

function agentHost(host: string): string {
  return host.includes(":") ? host.split(":")[0]! : host;
}

/** One request to an agent's restore endpoints; resolves on 200, rejects with the agent's own words otherwise. */
function callAgent(host: string, token: string, method: "PUT" | "POST", path: string, signal: AbortSignal, body?: Readable): Promise<void> {
  const url = `http://${agentHost(host)}:${AGENT_PORT}${path}`;
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/octet-stream" } : {}) }, signal }, (response: IncomingMessage) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text = (text + chunk).slice(-1000)));
      response.once("end", () => (response.statusCode === 200 ? resolve() : reject(new Error(`${method} ${url.replace(/\?.*/, "")} answered HTTP ${response.statusCode}: ${text.trim()}`))));
      response.once("error", reject);
    });
    request.once("error", (error) => reject(new Error(`${method} ${url.replace(/\?.*/, "")} failed: ${error.message}`)));
    if (body) pipeline(body, request).catch((error: unknown) => reject(error as Error));
    else request.end();
  });
}

/** `load` of one copy of the chain in place: sent to the primary's agent, which unpacks and prepares it beside the data. */
export async function sendLayerToAgent(stream: Readable, options: LoadOptions): Promise<void> {
  const endpoint = options.endpoint;
  if (!endpoint) throw new Error("an in-place physical restore needs the primary's address");
  const layer = options.layer ?? { index: 0, count: 1 };
  options.log.info({ layer: layer.index, of: layer.count, host: endpoint.host }, "Sending a copy of the chain to the primary's agent, which prepares it beside the data");
  await callAgent(endpoint.host, agentToken(endpoint), "PUT", `/v1/mysql/restore/layer?index=${layer.index}&count=${layer.count}`, options.signal, stream);
}

/** Stops the primary's server, puts the prepared copy in place of its data and starts it; resolves once it answers. */
export async function activateInPlace(endpoint: EngineEndpoint, options: { signal: AbortSignal; log: Logger }): Promise<void> {
  options.log.info({ host: endpoint.host }, "Switching the primary to the restored copy (its server stops and starts on it)");
  await callAgent(endpoint.host, agentToken(endpoint), "POST", "/v1/mysql/restore/activate", options.signal);
}

/**
 * Every other instance copies the restored primary again. Which ones: the Job target's
 * `--physical-source` (the replicas that were ready and replicating when the restore began);
 * one that was not is re-seeded by the operator, which finds it holding transactions the
 * restored primary lacks.
 */
export async function reseedOthers(endpoint: EngineEndpoint, options: { signal: AbortSignal; log: Logger }): Promise<string[]> {
  const primary = agentHost(endpoint.host);
  const others = (endpoint.options?.physicalSource ?? "").split(",").map(agentHost).filter((host) => host !== "" && host !== primary);
  for (const host of others) {
    options.log.info({ host, from: primary }, "Re-seeding an instance from the restored primary");
    await callAgent(host, agentToken(endpoint), "POST", `/v1/mysql/restore/reseed?from=${encodeURIComponent(primary)}`, options.signal);
  }
  return others;
}
