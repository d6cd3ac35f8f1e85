/**
 * `steward agent mysql-sidecar`: the agent beside the database server. HTTP on AGENT_PORT:
 * - GET /healthz: the agent runs;
 * - GET /v1/mysql/seed (bearer token): a consistent physical copy of this instance, streamed
 *   (mariabackup mbstream) to a replica's init step; one copy at a time;
 * - GET /v1/mysql/physical-backup[?incremental-lsn=N] (bearer token): the same copy for a
 *   physical backup Job, which streams it to S3 (backup/pipeline.ts); with incremental-lsn only
 *   the pages changed since that LSN. Shares the one-copy-at-a-time queue with seeding;
 * - POST /v1/mysql/reseed (bearer token): mark this instance to be copied again from the
 *   primary at its next start (the operator then deletes the pod). Its data is wiped then,
 *   never merged.
 * Backups and binlog archiving are the agent's own subcommands (backup/agent), listed beside it.
 */
import { writeFileSync, mkdirSync, statSync } from "node:fs";
import { createServer, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { hasBearerToken, listen, type AgentServerOptions } from "../../common/agent-sidecar.js";
import type { MysqlFlavor } from "../../../shared/api/index.js";
import { AGENT_PORT, MYSQL_PATHS, STATE_FILES } from "../names.js";
import { PHYSICAL_HEADERS } from "../backup/physical-commands.js";
import { startSeedStream } from "./seed-stream.js";

/** One data directory's life: the system tablespace's inode and birth (a re-seed or another instance differs). */
export function dataIdentity(dataDir: string): string {
  try {
    const stat = statSync(join(dataDir, "ibdata1"));
    // Without a birth time (some filesystems) the inode alone: a re-seed extracts a new file.
    return `${stat.ino}-${Math.round(stat.birthtimeMs)}`;
  } catch {
    return "unknown";
  }
}

export interface SidecarOptions extends AgentServerOptions {
  rootPassword: string;
  socket?: string;
  dataDir?: string;
  stateDir?: string;
  tmpDir?: string;
  flavor?: MysqlFlavor;
}

export function startSidecar(options: SidecarOptions): Promise<Server> {
  const log = options.log ?? ((line: string) => console.log(line));
  let copying: Promise<void> = Promise.resolve();

  const seed = async (response: ServerResponse, incremental?: { lsn: string; dataId: string }) => {
    const dataId = dataIdentity(options.dataDir ?? MYSQL_PATHS.dataDir);
    // LSNs are only comparable within one data directory's life: on another instance, or after
    // a re-seed, an incremental copy would silently miss pages. Then the copy is full.
    const incrementalLsn = incremental && incremental.dataId === dataId ? incremental.lsn : undefined;
    const run = startSeedStream({ rootPassword: options.rootPassword, socket: options.socket, dataDir: options.dataDir, tmpDir: options.tmpDir, incrementalLsn, flavor: options.flavor });
    const started = Date.now();
    response.writeHead(200, { "content-type": "application/octet-stream", [PHYSICAL_HEADERS.dataId]: dataId, [PHYSICAL_HEADERS.copy]: incrementalLsn ? "incremental" : "full" });
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
    if (request.method === "GET" && (path === "/v1/mysql/seed" || path === "/v1/mysql/physical-backup")) {
      const query = new URL(request.url ?? "/", "http://agent").searchParams;
      const lsn = query.get("incremental-lsn") ?? undefined;
      if (lsn !== undefined && !/^\d{1,20}$/.test(lsn)) {
        response.writeHead(400, { "content-type": "text/plain" }).end("incremental-lsn must be a decimal LSN\n");
        return;
      }
      const incremental = lsn === undefined ? undefined : { lsn, dataId: query.get("data-id") ?? "" };
      // One copy at a time: concurrent backups would contend for the same backup locks.
      const previous = copying;
      copying = previous.then(() => seed(response, incremental)).catch(() => undefined);
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
