import { Transform, type TransformCallback } from "node:stream";
import { crc32 } from "node:zlib";

/**
 * Watches an xbstream (mbstream) as it streams past, without holding it: checks its chunk
 * framing and keeps the payload of the few small metadata files mariabackup/xtrabackup write
 * into it (binlog position, LSN checkpoints), so a physical backup's manifest can record the
 * GTID and LSNs it ends at without the copy ever touching a disk.
 *
 * Chunk layout (MariaDB's extra/mariabackup/xbstream.h, Percona's xbstream.h):
 *   "XBSTCK01" | flags u8 | type u8 ('P' payload, 'E' end of file) | path length u32 LE | path
 *   'P' only:  payload length u64 LE | payload offset u64 LE | crc32 u32 LE | payload
 * Percona's sparse chunks ('S') are not written by mariabackup; a stream holding one is refused
 * rather than misread.
 */
const MAGIC = Buffer.from("XBSTCK01", "latin1");
const FIXED_HEADER = MAGIC.length + 1 + 1 + 4;
const PAYLOAD_HEADER = 8 + 8 + 4;
/** Metadata files are a few hundred bytes; a larger one is not what we think it is. */
const MAX_KEPT_BYTES = 64 * 1024;

export const METADATA_FILES = ["xtrabackup_checkpoints", "xtrabackup_info", "xtrabackup_binlog_info", "mariadb_backup_binlog_info"] as const;

/**
 * Steward's own file at the end of a physical backup's stream: the per-table checksums the
 * agent recorded at the copy's end (agent/copy-checksums.ts). An ordinary xbstream file, so
 * the stored object stays what the tools read; restores remove it after unpacking.
 */
export const CHECKSUMS_FILE = "steward_checksums.json";
/** The checksums file holds a line per table: allow many tables, still bounded. */
const MAX_CHECKSUMS_BYTES = 8 * 1024 * 1024;

/** One whole file as xbstream chunks (a payload chunk and the end-of-file chunk), as mbstream -x reads them. */
export function xbstreamFile(path: string, payload: Buffer): Buffer {
  const name = Buffer.from(path, "utf8");
  const header = (type: "P" | "E") => {
    const fixed = Buffer.alloc(FIXED_HEADER);
    MAGIC.copy(fixed, 0);
    fixed[MAGIC.length] = 0;
    fixed[MAGIC.length + 1] = type.charCodeAt(0);
    fixed.writeUInt32LE(name.length, MAGIC.length + 2);
    return Buffer.concat([fixed, name]);
  };
  const sizes = Buffer.alloc(PAYLOAD_HEADER);
  sizes.writeBigUInt64LE(BigInt(payload.length), 0);
  sizes.writeBigUInt64LE(0n, 8);
  sizes.writeUInt32LE(crc32(payload), 16);
  return Buffer.concat([header("P"), sizes, payload, header("E")]);
}

export class XbstreamWatcher extends Transform {
  /** Kept files by path, complete once the stream ended. */
  readonly files = new Map<string, string>();
  /** When a binlog position file went past: the copy is consistent at about that moment. */
  binlogInfoAt?: Date;
  chunks = 0;
  private pending = Buffer.alloc(0);
  private payloadLeft = 0;
  private keeping?: string;

  constructor(private readonly keep: readonly string[] = METADATA_FILES) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(chunk);
      callback(null, chunk);
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.payloadLeft > 0 || this.pending.length > 0) callback(new Error(`the xbstream ended inside a chunk (after ${this.chunks} whole chunks): the copy is incomplete`));
    else callback();
  }

  private consume(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.payloadLeft > 0) {
        const take = Math.min(this.payloadLeft, chunk.length - offset);
        if (this.keeping !== undefined) this.files.set(this.keeping, (this.files.get(this.keeping) ?? "") + chunk.subarray(offset, offset + take).toString("utf8"));
        this.payloadLeft -= take;
        offset += take;
        continue;
      }
      // Header bytes are few: gather them across chunk boundaries.
      const need = this.headerLength();
      const take = Math.min(chunk.length - offset, need === undefined ? FIXED_HEADER - this.pending.length : need - this.pending.length);
      this.pending = Buffer.concat([this.pending, chunk.subarray(offset, offset + take)]);
      offset += take;
      const complete = this.headerLength();
      if (complete !== undefined && this.pending.length === complete) this.startChunk();
    }
  }

  /** The whole header's length once its fixed part (and path length) is known. */
  private headerLength(): number | undefined {
    if (this.pending.length < FIXED_HEADER) return undefined;
    if (!this.pending.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error(`not an xbstream: chunk ${this.chunks + 1} does not start with XBSTCK01`);
    const type = String.fromCharCode(this.pending[MAGIC.length + 1]!);
    const pathLength = this.pending.readUInt32LE(MAGIC.length + 2);
    if (type === "E") return FIXED_HEADER + pathLength;
    if (type === "P") return FIXED_HEADER + pathLength + PAYLOAD_HEADER;
    throw new Error(`xbstream chunk ${this.chunks + 1} has type '${type}', which this reader does not know (sparse copies are not supported)`);
  }

  private startChunk(): void {
    const header = this.pending;
    this.pending = Buffer.alloc(0);
    this.chunks++;
    const type = String.fromCharCode(header[MAGIC.length + 1]!);
    const pathLength = header.readUInt32LE(MAGIC.length + 2);
    const path = header.subarray(FIXED_HEADER, FIXED_HEADER + pathLength).toString("utf8");
    if (type === "E") return;
    const length = Number(header.readBigUInt64LE(FIXED_HEADER + pathLength));
    this.payloadLeft = length;
    this.keeping = this.keep.includes(path) && length <= (path === CHECKSUMS_FILE ? MAX_CHECKSUMS_BYTES : MAX_KEPT_BYTES) ? path : undefined;
    if (this.keeping && /binlog_info$/.test(path) && !this.binlogInfoAt) {
      this.binlogInfoAt = new Date();
      // The tool writes it while commits are blocked: whoever records what the copy holds acts now.
      this.emit("binlog-info");
    }
    if (this.keeping && Number(header.readBigUInt64LE(FIXED_HEADER + pathLength + 8)) === 0) this.files.set(path, "");
  }
}

/** `key = value` lines of xtrabackup_checkpoints / xtrabackup_info. */
export function parseKeyValues(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^\s*([a-z_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (match) result[match[1]!] = match[2]!;
  }
  return result;
}

export interface PhysicalCheckpoints {
  backupType: string;
  fromLsn: string;
  toLsn: string;
  lastLsn: string;
}

/** The LSN range a copy holds: an incremental copy on top of it starts at its toLsn. */
export function parseCheckpoints(text: string | undefined): PhysicalCheckpoints {
  if (text === undefined) throw new Error("the copy holds no xtrabackup_checkpoints: mariabackup did not finish it");
  const values = parseKeyValues(text);
  for (const key of ["backup_type", "from_lsn", "to_lsn", "last_lsn"]) {
    if (!/^\S+$/.test(values[key] ?? "")) throw new Error(`xtrabackup_checkpoints has no ${key}`);
  }
  // LSNs are 64-bit: kept as decimal strings, never rounded through a double.
  return { backupType: values.backup_type!, fromLsn: values.from_lsn!, toLsn: values.to_lsn!, lastLsn: values.last_lsn! };
}
