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
 * - PUT /v1/mysql/restore/layer?index=I&count=N, POST /v1/mysql/restore/activate, POST
 *   /v1/mysql/restore/reseed?from=HOST (bearer token): an in-place physical restore
 *   (in-place-restore.ts); one at a time, each answered when done (200 "done", or 500 and why).
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
import { InPlaceRestore } from "./in-place-restore.js";
import { CopyChecksums } from "./copy-checksums.js";
import { CHECKSUMS_FILE, XbstreamWatcher, xbstreamFile } from "../backup/xbstream.js";

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

  const seed = async (response: ServerResponse, incremental?: { lsn: string; dataId: string }, backup = false) => {
    const dataId = dataIdentity(options.dataDir ?? MYSQL_PATHS.dataDir);
    // LSNs are only comparable within one data directory's life: on another instance, or after
    // a re-seed, an incremental copy would silently miss pages. Then the copy is full.
    const incrementalLsn = incremental && incremental.dataId === dataId ? incremental.lsn : undefined;
    const run = startSeedStream({ rootPassword: options.rootPassword, socket: options.socket, dataDir: options.dataDir, tmpDir: options.tmpDir, incrementalLsn, flavor: options.flavor });
    const started = Date.now();
    response.writeHead(200, { "content-type": "application/octet-stream", [PHYSICAL_HEADERS.dataId]: dataId, [PHYSICAL_HEADERS.copy]: incrementalLsn ? "incremental" : "full" });
    // A backup's copy ends with the tables' checksums at the copy's end (copy-checksums.ts); a new replica's does not need them.
    const checksums = backup ? await CopyChecksums.open({ socket: options.socket ?? MYSQL_PATHS.socket, rootPassword: options.rootPassword }).catch((error: unknown) => void log(`no checksums for this copy: ${(error as Error).message}`)) : undefined;
    const watcher = new XbstreamWatcher();
    checksums?.watch(watcher);
    try {
      await pipeline(run.output!, watcher, response, { end: false });
      if (checksums) {
        const result = await checksums.finish(watcher.files.get("mariadb_backup_binlog_info") ?? watcher.files.get("xtrabackup_binlog_info"));
        if (result.tables) response.write(xbstreamFile(CHECKSUMS_FILE, Buffer.from(JSON.stringify(result.tables))));
        else log(`no checksums for this copy: ${result.reason}`);
      }
      response.end();
      log(`streamed a copy in ${Date.now() - started} ms`);
    } catch (error) {
      checksums?.close();
      // Cut the connection rather than end it: the receiver must see an incomplete copy as failed.
      response.destroy();
      run.child.kill("SIGTERM");
      log(`the copy failed: ${(error as Error).message}`);
    } finally {
      run.cleanup();
    }
  };

  const inPlace = new InPlaceRestore({ rootPassword: options.rootPassword, token: options.token, flavor: options.flavor ?? "mariadb", socket: options.socket, dataDir: options.dataDir, stateDir: options.stateDir, log });
  let restoring = false;
  const restoreStep = (response: ServerResponse, what: string, run: () => Promise<unknown>) => {
    if (restoring) {
      response.writeHead(409, { "content-type": "text/plain" }).end("another restore step is running\n");
      return;
    }
    restoring = true;
    run().then(
      () => response.writeHead(200, { "content-type": "text/plain" }).end("done\n"),
      (error: unknown) => {
        log(`${what} failed: ${(error as Error).message}`);
        response.writeHead(500, { "content-type": "text/plain" }).end(`${what} failed: ${(error as Error).message}\n`);
      },
    ).finally(() => (restoring = false));
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
      copying = previous.then(() => seed(response, incremental, path === "/v1/mysql/physical-backup")).catch(() => undefined);
      return;
    }
    if (path?.startsWith("/v1/mysql/restore/")) {
      const query = new URL(request.url ?? "/", "http://agent").searchParams;
      const controller = new AbortController();
      // The Job giving up (its connection closed before the answer) stops the step.
      response.once("close", () => controller.abort(new Error("the restore Job closed the connection")));
      if (request.method === "PUT" && path === "/v1/mysql/restore/layer") {
        const index = Number(query.get("index"));
        const count = Number(query.get("count"));
        if (!Number.isInteger(index) || !Number.isInteger(count) || index < 0 || index >= count) {
          response.writeHead(400, { "content-type": "text/plain" }).end("index and count must be integers, 0 <= index < count\n");
          return;
        }
        return restoreStep(response, `preparing copy ${index + 1} of ${count}`, () => inPlace.receiveLayer(request, { index, count }, controller.signal));
      }
      if (request.method === "POST" && path === "/v1/mysql/restore/activate") return restoreStep(response, "switching to the restored copy", () => inPlace.activate());
      const from = query.get("from") ?? "";
      if (request.method === "POST" && path === "/v1/mysql/restore/reseed" && /^[a-z0-9.-]+$/i.test(from)) return restoreStep(response, `re-seeding from ${from}`, () => inPlace.reseedFrom(from, controller.signal));
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
  // A restore's copy is uploaded in one request for as long as it takes (Node's default cuts requests at 300 s).
  server.requestTimeout = 0;
  return listen(server, options.port ?? AGENT_PORT, options.host);
}
