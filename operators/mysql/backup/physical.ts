/**
 * Physical backups of MySQL/MariaDB: a consistent file-level copy (mariabackup; xtrabackup 8.4
 * for the mysql flavour, unproven here) taken by the agent beside the instance that holds the
 * data, streamed over HTTP to the backup Job, which sends it through the usual pipeline
 * (compression, encryption, S3 multipart, manifest): nothing is written to any disk on the
 * way. Restores unpack the chain (a full copy, then incrementals) into an empty data
 * directory and prepare it; the server then starts on it.
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { get as httpGet, type IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import { z } from "zod";
import type { MysqlFlavor } from "../../../shared/api/index.js";
import type { DumpHandle, DumpOptions, LoadOptions } from "../../../backup/engine-backup.js";
import type { BackupPosition } from "../../../backup/manifest.js";
import { ToolError, runTool } from "../../../backup/tool-process.js";
import { AGENT_PORT } from "../names.js";
import { gtidFromBinlogInfo } from "../users.js";
import { PHYSICAL_HEADERS, prepareCommand, unpackCommand } from "./physical-commands.js";
import { CHECKSUMS_FILE, METADATA_FILES, XbstreamWatcher, parseCheckpoints } from "./xbstream.js";
import type { TableChecksum } from "../../../backup/engine-backup.js";

/** What a physical backup's manifest records besides the GTID: where the copy came from and its LSN range. */
export const physicalPosition = z.object({
  source: z.string().describe("The instance the copy was taken on (its agent's host)"),
  dataId: z.string().describe("That instance's data directory life: an incremental copy builds on the same one only"),
  backupType: z.string(),
  fromLsn: z.string(),
  toLsn: z.string(),
  lastLsn: z.string(),
});
export type PhysicalPosition = z.infer<typeof physicalPosition>;

export function physicalPositionOf(position: BackupPosition): PhysicalPosition | undefined {
  const parsed = physicalPosition.safeParse(position.physical);
  return parsed.success ? parsed.data : undefined;
}

/** "host" or "host:port" of an agent, as the Job target passes them (comma separated, preferred first). */
function agentUrl(source: string, query: string): string {
  const address = source.includes(":") ? source : `${source}:${AGENT_PORT}`;
  return `http://${address}/v1/mysql/physical-backup${query}`;
}

/**
 * node:http rather than fetch: the body is a Node stream as it arrives (no web-stream layer,
 * no undici to load), which keeps the agent's memory and CPU down on a stream of many GiB.
 */
function requestCopy(url: string, token: string, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { headers: { authorization: `Bearer ${token}` }, signal }, (response) => {
      if (response.statusCode === 200) return resolve(response);
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text = (text + chunk).slice(0, 300)));
      response.once("end", () => reject(new Error(`GET ${url} answered HTTP ${response.statusCode}: ${text}`)));
    });
    request.once("error", (error) => reject(new Error(`GET ${url} failed: ${error.message}`)));
  });
}

/**
 * Asks an instance's agent for a copy. With a parent, the copy is incremental when taken on
 * the parent's own instance (the first candidate otherwise, and then full: LSNs of different
 * data directories are not comparable).
 */
export async function startPhysicalCopy(options: DumpOptions, flavor: MysqlFlavor): Promise<DumpHandle> {
  const sources = (options.endpoint.options?.physicalSource ?? "").split(",").filter((source) => source !== "");
  const token = options.endpoint.options?.agentToken;
  if (sources.length === 0) throw new Error("a physical backup is streamed by an instance's agent, and no --physical-source was given (the Job target sets it)");
  if (!token) throw new Error("a physical backup needs the agents' token (STEWARD_AGENT_TOKEN from the cluster's credentials Secret)");
  const parent = options.parent ? physicalPositionOf(options.parent.position) : undefined;
  if (options.parent && !parent) options.log.warn({ parent: options.parent.backup }, "The parent backup records no LSNs (not a physical copy): taking a full copy");
  const source = parent && sources.includes(parent.source) ? parent.source : sources[0]!;
  const query = parent && source === parent.source ? `?incremental-lsn=${parent.toLsn}&data-id=${encodeURIComponent(parent.dataId)}` : "";
  const url = agentUrl(source, query);
  options.log.info({ url: url.replace(/\?.*/, ""), incrementalLsn: query ? parent?.toLsn : undefined }, "Requesting a physical copy");
  const body = await requestCopy(url, token, options.signal);
  const dataId = String(body.headers[PHYSICAL_HEADERS.dataId] ?? "unknown");
  const incremental = body.headers[PHYSICAL_HEADERS.copy] === "incremental";
  const watcher = new XbstreamWatcher([...METADATA_FILES, CHECKSUMS_FILE]);
  // An agent that fails mid-copy cuts the connection: the body errors, and so does the watcher.
  body.once("error", (error) => watcher.destroy(new Error(`the connection was cut (${error.message}); the agent's log on ${source.split(".")[0]} says why`)));
  body.pipe(watcher);
  let position: BackupPosition | undefined;
  const done = finished(watcher, { readable: false }).then(() => {
    const info = watcher.files.get("mariadb_backup_binlog_info") ?? watcher.files.get("xtrabackup_binlog_info");
    if (info === undefined) throw new Error(`the copy from ${source} holds no binlog position: is binary logging on?`);
    const [binlogFile, binlogOffset] = info.trim().split(/\s+/);
    const gtidSet = gtidFromBinlogInfo(info.replace(/,\s*\n\s*/g, ","));
    const checkpoints = parseCheckpoints(watcher.files.get("xtrabackup_checkpoints"));
    const physical: PhysicalPosition = { source, dataId, ...checkpoints };
    position = {
      summary: `GTID ${gtidSet || "(empty)"}, LSN ${checkpoints.fromLsn}..${checkpoints.toLsn} (${incremental ? "incremental" : "full"} copy of ${source.split(".")[0]})`,
      gtidSet,
      binlogFile,
      binlogOffset: Number(binlogOffset),
      physical,
    };
  }).catch((error: unknown) => {
    // Reported as the copy's own failure (step "dump"), whichever stage noticed it.
    // A watcher closed from outside (the upload failed and stopped the copy) only follows from that failure.
    const stopped = (error as NodeJS.ErrnoException).code === "ERR_STREAM_PREMATURE_CLOSE" || options.signal.aborted;
    throw new ToolError(`the physical copy from ${source} failed: ${(error as Error).message}`, "mariabackup", null, "", stopped);
  });
  done.catch(() => undefined);
  const startedAt = new Date();
  return {
    stream: watcher,
    extension: ".xbstream",
    contentType: "application/x-xbstream",
    producer: `${flavor === "mysql" ? "xtrabackup 8.4" : "mariabackup"} --backup --stream (${flavor})`,
    done,
    // The binlog position is taken while commits are blocked at the copy's end: it is consistent then.
    consistentAt: () => watcher.binlogInfoAt ?? startedAt,
    position: () => {
      if (!position) throw new Error("the copy has not finished: no position yet");
      return position;
    },
    incremental: () => incremental,
    checksums: () => {
      const text = watcher.files.get(CHECKSUMS_FILE);
      return text === undefined ? undefined : (JSON.parse(text) as TableChecksum[]);
    },
  };
}

/**
 * One copy of a chain into the data directory: the full base unpacked there and prepared;
 * each incremental unpacked beside it (workDir, same volume), applied, and removed.
 */
export async function loadPhysicalLayer(stream: Readable, options: LoadOptions, flavor: MysqlFlavor): Promise<void> {
  const dataDir = options.dataDir;
  if (!dataDir) throw new Error("a physical copy is restored into an empty data directory before the server starts: no data directory was given");
  const layer = options.layer ?? { index: 0, count: 1 };
  const last = layer.index === layer.count - 1;
  let target = dataDir;
  if (layer.index === 0) {
    mkdirSync(dataDir, { recursive: true });
    if (readdirSync(dataDir).length > 0) throw new Error(`the data directory ${dataDir} is not empty: a physical copy is only restored into an empty one`);
  } else {
    target = join(options.workDir ?? join(dataDir, ".."), `incremental-${layer.index}`);
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
  }
  const unpack = unpackCommand(flavor, target);
  const unpacking = runTool(unpack.command, unpack.args, { stdin: "pipe", stdout: "ignore", signal: options.signal });
  await Promise.all([pipeline(stream, unpacking.input!), unpacking.exited]);
  // Steward's checksums file (xbstream.ts) is the manifest's business, not the data directory's.
  rmSync(join(target, CHECKSUMS_FILE), { force: true });
  const prepare = prepareCommand(flavor, { targetDir: dataDir, incrementalDir: layer.index === 0 ? undefined : target, last });
  options.log.info({ layer: layer.index, of: layer.count }, layer.index === 0 ? "Unpacked the full copy; preparing it" : "Unpacked an incremental copy; applying it");
  await runTool(prepare.command, prepare.args, { stdout: "ignore", signal: options.signal }).exited;
  if (layer.index > 0) rmSync(target, { recursive: true, force: true });
}
