import { createReadStream } from "node:fs";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import type { RowDataPacket } from "mysql2/promise";
import type { EngineEndpoint, LocalLogSegment, LogSource } from "../../../backup/engine-backup.js";
import type { Logger } from "../../../shared/log.js";
import { BinlogScanner } from "./binlog-scanner.js";
import { connectTo } from "./connection.js";

/**
 * The MariaDB side of binlog archiving, run by the PITR sidecar next to mariadbd (sharing its
 * data volume at the same path, so closed binlogs are read as files).
 *
 * Rotation: the current binlog is closed (FLUSH BINARY LOGS, not itself binlogged) once it has
 * held a transaction for `maxAgeMs`, so a commit waits at most that long plus one upload
 * before it is in S3, and an idle server is never rotated. Whether the file holds a
 * transaction is known from its position growing past where it started.
 */
export async function createBinlogSource(endpoint: EngineEndpoint, options: { dataDir?: string; log: Logger }): Promise<LogSource> {
  const connection = await connectTo(endpoint);
  const query = async <T extends RowDataPacket>(sql: string): Promise<T[]> => (await connection.query<T[]>(sql))[0];
  const [settings] = await query<RowDataPacket>("SELECT @@hostname AS host, @@server_id AS id, @@log_bin AS logBin, @@log_bin_basename AS base");
  if (!settings || Number(settings.logBin) !== 1) throw new Error("binary logging is off on the server (log_bin): point-in-time recovery needs it");
  const directory = options.dataDir ?? dirname(String(settings.base));
  const host = String(settings.host);

  let current: { file: string; start: number } | undefined;
  let dirtySince: Date | undefined;
  let lastCleanAt: Date | undefined;

  const masterStatus = async (): Promise<{ file: string; position: number }> => {
    const [row] = await query<RowDataPacket>("SHOW MASTER STATUS");
    if (!row) throw new Error("SHOW MASTER STATUS returned nothing: binary logging is off");
    return { file: String(row.File), position: Number(row.Position) };
  };

  /** Whether a (current) binlog file already holds a transaction: after a sidecar restart we do not know where it started. */
  const holdsTransactions = async (file: string): Promise<boolean> => {
    const scanner = new BinlogScanner();
    for await (const chunk of createReadStream(join(directory, file))) scanner.update(chunk as Buffer);
    return scanner.transactions > 0;
  };

  const rotate = async () => {
    await connection.query("FLUSH NO_WRITE_TO_BINLOG BINARY LOGS");
    const status = await masterStatus();
    current = { file: status.file, start: status.position };
    dirtySince = undefined;
    lastCleanAt = new Date();
  };

  return {
    async streamId() {
      return host;
    },
    async shouldArchive() {
      const [row] = await query<RowDataPacket>("SELECT @@read_only AS ro");
      return Number(row?.ro) === 0;
    },
    async rotateIfDue(maxAgeMs, now) {
      const status = await masterStatus();
      if (!current || current.file !== status.file) {
        const first = current === undefined;
        current = { file: status.file, start: status.position };
        dirtySince = undefined;
        if (first && (await holdsTransactions(status.file))) {
          options.log.info({ file: status.file }, "The current binlog already holds transactions: rotating it now");
          await rotate();
          return true;
        }
      }
      if (status.position <= current.start) {
        lastCleanAt = now;
        return false;
      }
      dirtySince ??= now;
      if (now.getTime() - dirtySince.getTime() < maxAgeMs) return false;
      await rotate();
      return true;
    },
    async closedSegments(): Promise<LocalLogSegment[]> {
      const rows = await query<RowDataPacket>("SHOW BINARY LOGS");
      const files = rows.map((row) => ({ name: String(row.Log_name), size: Number(row.File_size) }));
      return files.slice(0, -1); // the last one is still being written
    },
    openSegment(name: string): Readable {
      if (name.includes("/")) throw new Error(`bad binlog name ${name}`);
      return createReadStream(join(directory, name), { highWaterMark: 1024 * 1024 });
    },
    scanner: () => new BinlogScanner(),
    async closedUntil(now: Date) {
      return dirtySince === undefined ? (lastCleanAt ?? now) : lastCleanAt;
    },
    async close() {
      await connection.end().catch(() => undefined);
    },
  };
}
