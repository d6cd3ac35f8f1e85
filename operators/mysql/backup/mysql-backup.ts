import { Transform, type Readable } from "node:stream";
import { pipeline as pipelineCallback } from "node:stream";
import type { Connection, RowDataPacket } from "mysql2/promise";
import type { MysqlFlavor } from "../../../shared/api/index.js";
import type { DumpHandle, DumpOptions, EngineBackup, EngineEndpoint, EngineIdentity, LoadOptions, TableChecksum, ThrowawayInstance, VerifyOptions } from "../../../backup/engine-backup.js";
import type { Logger } from "../../../shared/log.js";
import { startThrowawayMariaDb, throwawayDataDir } from "./throwaway.js";
import { loadPhysicalLayer, startPhysicalCopy } from "./physical.js";
import { activateInPlace, reseedOthers, sendLayerToAgent } from "./physical-in-place.js";
import type { BackupPosition } from "../../../backup/manifest.js";
import { runTool } from "../../../backup/tool-process.js";
import { withConnection } from "./connection.js";
import { tableChecksums } from "./table-checksums.js";
import { createBinlogSource } from "./binlog-source.js";
import { replayBinlogs } from "./binlog-replay.js";
import { loadDumpInParallel } from "./parallel-load.js";
import { SYSTEM_SCHEMAS, buildDumpCommand, describePosition, parseDumpPosition, parseServerVersion, toolEnvironment } from "./dump-command.js";

async function userDatabases(connection: Connection): Promise<string[]> {
  const [rows] = await connection.query<RowDataPacket[]>("SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME");
  return rows.map((row) => String(row.name)).filter((name) => !(SYSTEM_SCHEMAS as readonly string[]).includes(name));
}

function quoteIdentifier(name: string): string {
  return `\`${name.replace(/`/g, "``")}\``;
}

/**
 * Watches the dump as it streams: keeps its first and last 16 KiB (the position comments are
 * there) and notes when the position line appeared, which the tool prints only once its
 * snapshot is open: a conservative "consistent at" time for point-in-time planning.
 */
class DumpWatcher extends Transform {
  head = "";
  tail = "";
  consistentAt?: Date;
  firstByteAt?: Date;
  private static readonly KEEP = 16 * 1024;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null, data?: Buffer) => void): void {
    this.firstByteAt ??= new Date();
    if (this.head.length < DumpWatcher.KEEP) {
      this.head += chunk.subarray(0, DumpWatcher.KEEP - this.head.length).toString("latin1");
      if (!this.consistentAt && /(MASTER|SOURCE)_LOG_POS=\d+/.test(this.head)) this.consistentAt = new Date();
    }
    this.tail = (this.tail + chunk.subarray(Math.max(0, chunk.length - DumpWatcher.KEEP)).toString("latin1")).slice(-DumpWatcher.KEEP);
    callback(null, chunk);
  }
}

export class MysqlBackup implements EngineBackup {
  readonly engine = "mysql";
  /** A prepared InnoDB copy becomes a data directory before mariadbd starts. */
  readonly physicalRestoresOffline = true;
  /** In place: through the agents beside the servers (physical-in-place.ts). */
  readonly physicalInPlace = { activate: activateInPlace, reseedOthers };

  /** The flavour of the cluster; identify() reads the server's own when asked. */
  constructor(private readonly flavor: MysqlFlavor = "mariadb") {}

  async identify(endpoint: EngineEndpoint): Promise<EngineIdentity> {
    const { text, dataBytes } = await withConnection(endpoint, async (connection) => {
      const [rows] = await connection.query<RowDataPacket[]>(
        `SELECT VERSION() AS version, (SELECT SUM(DATA_LENGTH + INDEX_LENGTH) FROM information_schema.TABLES WHERE TABLE_SCHEMA NOT IN (${SYSTEM_SCHEMAS.map(() => "?").join(",")})) AS bytes`,
        [...SYSTEM_SCHEMAS],
      );
      return { text: String(rows[0]?.version ?? ""), dataBytes: rows[0]?.bytes === null || rows[0]?.bytes === undefined ? undefined : Number(rows[0].bytes) };
    });
    const { flavor, version } = parseServerVersion(text);
    return { engine: "mysql", flavor, version, dataBytes };
  }

  async dump(options: DumpOptions): Promise<DumpHandle> {
    if (options.method === "physical") return startPhysicalCopy(options, this.flavor);
    const databases = this.flavor === "mysql" ? await withConnection(options.endpoint, userDatabases) : [];
    const { command, args } = buildDumpCommand(this.flavor, options.endpoint, databases);
    options.log.info({ command, args }, "Starting the dump");
    const tool = runTool(command, args, { env: toolEnvironment(options.endpoint), signal: options.signal, redact: [options.endpoint.password ?? ""] });
    const watcher = new DumpWatcher();
    // pipeline, not pipe: whoever reads the dump giving up must reach the tool (and stop it).
    const stream = watcher;
    pipelineCallback(tool.output!, watcher, () => undefined);
    let position: BackupPosition | undefined;
    // The tool may exit before its last bytes went through the watcher: wait for both.
    const watched = new Promise<void>((resolve, reject) => {
      watcher.once("finish", resolve);
      watcher.once("error", reject);
      watcher.once("close", () => reject(new Error(`${command}'s output was abandoned before its end`)));
    });
    watched.catch(() => undefined);
    const done = Promise.all([tool.exited, watched]).then(() => {
      const parsed = parseDumpPosition(watcher.head, watcher.tail);
      if (parsed.gtidSet === undefined && parsed.binlogFile === undefined) {
        throw new Error(`${command} wrote no replication position: is binary logging on (log_bin) on the server?`);
      }
      position = { summary: describePosition(parsed), ...parsed };
    });
    return {
      stream,
      extension: ".sql",
      contentType: "application/sql",
      producer: `${command} (${this.flavor})`,
      done,
      consistentAt: () => watcher.consistentAt ?? watcher.firstByteAt ?? new Date(),
      position: () => {
        if (!position) throw new Error("the dump has not finished: no position yet");
        return position;
      },
    };
  }

  /** The client runs the dump's structure, several connections its rows (parallel-load.ts). */
  async load(stream: Readable, options: LoadOptions): Promise<void> {
    if (options.method === "physical") return options.dataDir ? loadPhysicalLayer(stream, options, this.flavor) : sendLayerToAgent(stream, options);
    if (!options.endpoint) throw new Error("MySQL loads into a running server: an endpoint is needed");
    if (options.replaceExisting) await this.dropUserDatabases(options.endpoint);
    await loadDumpInParallel(stream, { endpoint: options.endpoint, flavor: this.flavor, signal: options.signal, log: options.log });
  }

  /** Empties the server of everything a backup holds, for an in-place restore. */
  async dropUserDatabases(endpoint: EngineEndpoint): Promise<string[]> {
    return withConnection(endpoint, async (connection) => {
      const databases = await userDatabases(connection);
      for (const database of databases) await connection.query(`DROP DATABASE ${quoteIdentifier(database)}`);
      return databases;
    });
  }

  async checksums(options: VerifyOptions): Promise<TableChecksum[]> {
    return withConnection(options.endpoint, tableChecksums);
  }

  async throwaway(workDir: string, log: Logger, options?: { restoredData?: boolean }): Promise<ThrowawayInstance> {
    if (this.flavor !== "mariadb") throw new Error("verification needs a mysqld of the backup's flavour; this image has MariaDB only");
    return startThrowawayMariaDb(workDir, log, options?.restoredData === true);
  }

  throwawayDataDir(workDir: string): string {
    return throwawayDataDir(workDir);
  }

  readonly pointInTime = {
    logSource: createBinlogSource,
    replay: replayBinlogs,
  };
}
