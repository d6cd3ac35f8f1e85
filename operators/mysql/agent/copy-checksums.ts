/**
 * Per-table checksums of what a physical copy holds, recorded at backup time, so that a
 * verification (or a restore of the backup alone) can compare the restored tables with them.
 * The copy is consistent at the moment mariabackup writes its binlog position (commits are
 * blocked then). As that file goes past in the stream, a connection opened beforehand starts a
 * consistent snapshot; after the copy, CHECKSUM TABLE runs inside it (InnoDB answers from the
 * snapshot) once the snapshot's binlog coordinates equal the copy's: only then do they describe
 * the same data. When a commit slipped in between (the copy's lock was already released), no
 * checksums are recorded, and the log says so: the backup is still whole, it only lacks them.
 */
import type { Connection, RowDataPacket } from "mysql2/promise";
import type { TableChecksum } from "../../../backup/engine-backup.js";
import { connectTo } from "../backup/connection.js";
import { tableChecksums } from "../backup/table-checksums.js";
import type { XbstreamWatcher } from "../backup/xbstream.js";

export interface CopyChecksumResult {
  tables?: TableChecksum[];
  /** Why there are none. */
  reason?: string;
}

export class CopyChecksums {
  private snapshot?: Promise<{ file: string; position: string }>;

  private constructor(private readonly connection: Connection) {}

  static async open(options: { socket: string; rootPassword: string }): Promise<CopyChecksums> {
    const connection = await connectTo({ host: "localhost", port: 0, socket: options.socket, username: "root", password: options.rootPassword });
    await connection.query("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
    return new CopyChecksums(connection);
  }

  /** Starts the snapshot when the watcher sees the copy's binlog position go past. */
  watch(watcher: XbstreamWatcher): void {
    watcher.once("binlog-info", () => {
      this.snapshot = (async () => {
        await this.connection.query("START TRANSACTION WITH CONSISTENT SNAPSHOT");
        const [rows] = await this.connection.query<RowDataPacket[]>("SHOW STATUS LIKE 'binlog_snapshot_%'");
        const value = (name: string) => String(rows.find((row) => String(row.Variable_name).toLowerCase() === name)?.Value ?? "");
        return { file: value("binlog_snapshot_file"), position: value("binlog_snapshot_position") };
      })();
      this.snapshot.catch(() => undefined);
    });
  }

  /** After the copy: the checksums, when the snapshot holds exactly what the copy does. */
  async finish(binlogInfo: string | undefined): Promise<CopyChecksumResult> {
    try {
      if (!this.snapshot || binlogInfo === undefined) return { reason: "the copy's binlog position was not seen" };
      const snapshot = await this.snapshot;
      const [file, position] = binlogInfo.trim().split(/\s+/);
      if (snapshot.file !== file || snapshot.position !== position) {
        return { reason: `a commit landed between the copy (${file}:${position}) and the snapshot (${snapshot.file}:${snapshot.position})` };
      }
      return { tables: await tableChecksums(this.connection) };
    } catch (error) {
      return { reason: `the snapshot failed: ${(error as Error).message}` };
    } finally {
      await this.connection.query("ROLLBACK").catch(() => undefined);
      await this.connection.end().catch(() => undefined);
    }
  }

  close(): void {
    this.connection.destroy();
  }
}
