/**
 * `steward agent mysql-sidecar`: the agent beside the database server. HTTP on AGENT_PORT:
 * - GET /healthz: the agent runs;
 * - GET /v1/mysql/seed (bearer token): a consistent physical copy of this instance, streamed
 *   (mariabackup mbstream) to a replica's init step; one copy at a time;
 * - POST /v1/mysql/reseed (bearer token): mark this instance to be copied again from the
 *   primary at its next start (the operator then deletes the pod). Its data is wiped then,
 *   never merged.
 * Backups and binlog archiving are the agent's own subcommands (backup/agent), listed beside it.
 */
import { writeFileSync, mkdirSync } from "node:fs";
import { createServer, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { hasBearerToken, listen, type AgentServerOptions } from "../../common/agent-sidecar.js";
import { AGENT_PORT, MYSQL_PATHS, STATE_FILES } from "../names.js";
import { startSeedStream } from "./seed-stream.js";

export interface SidecarOptions extends AgentServerOptions {
  rootPassword: string;
  socket?: string;
  dataDir?: string;
  stateDir?: string;
  tmpDir?: string;
}

export function startSidecar(options: SidecarOptions): Promise<Server> {
  const log = options.log ?? ((line: string) => console.log(line));
  let copying: Promise<void> = Promise.resolve();

  const seed = async (response: ServerResponse) => {
    const run = startSeedStream({ rootPassword: options.rootPassword, socket: options.socket, dataDir: options.dataDir, tmpDir: options.tmpDir });
    const started = Date.now();
    response.writeHead(200, { "content-type": "application/octet-stream" });
    try {
      await pipeline(run.output!, response);
      log(`streamed a copy in ${Date.now() - started} ms`);
    } catch (error) {
      // Cut the connection rather than end it: the receiver must see an incomplete copy as failed.
      response.destroy();
      run.child.kill("SIGTERM");
      log(`the copy failed: ${(error as Error).message}`);
    } finally {
      run.cleanup();
    }
  };

  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method === "GET" && path === "/healthz") {
      response.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    if (!hasBearerToken(request, options.token)) {
      response.writeHead(401, { "content-type": "text/plain" }).end("a bearer token is required\n");
      return;
    }
    if (request.method === "GET" && path === "/v1/mysql/seed") {
      // One copy at a time: concurrent backups would contend for the same backup locks.
      const previous = copying;
      copying = previous.then(() => seed(response)).catch(() => undefined);
      return;
    }
    if (request.method === "POST" && path === "/v1/mysql/reseed") {
      const stateDir = options.stateDir ?? MYSQL_PATHS.stateDir;
      mkdirSync(stateDir, { recursive: true });
      writeFileSync(join(stateDir, STATE_FILES.reseed), new Date().toISOString());
      log("marked for re-seeding: the next start copies the primary's data");
      response.writeHead(200, { "content-type": "text/plain" }).end("marked\n");
      return;
    }
    response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  });
  return listen(server, options.port ?? AGENT_PORT, options.host);
}
