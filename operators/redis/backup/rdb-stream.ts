/**
 * What the backup learns from an RDB stream as it passes, without holding it: the header's
 * auxiliary fields (server version, creation time, replication id and offset), and a check of
 * the end (the EOF opcode 0xFF and an 8-byte checksum).
 *
 * It also repairs a quirk measured with redis-cli 7.0.15: `redis-cli --rdb -` against a server
 * that replicates diskless (the default) leaves the 40-character EOF mark of the transfer at
 * the end of stdout (it removes it with ftruncate, which a pipe does not support). An RDB
 * never ends in 40 hexadecimal characters (its last 9 bytes are 0xFF and a checksum), so a
 * stream that does is cut back by exactly those 40 bytes.
 */
import { Transform, type TransformCallback } from "node:stream";

export const RDB_MAGIC = "REDIS";
const OPCODE_AUX = 0xfa;
const OPCODE_EOF = 0xff;
const EOF_MARK_BYTES = 40;
const HEADER_KEEP_BYTES = 64 * 1024;

export interface RdbHeader {
  rdbVersion: number;
  aux: Record<string, string>;
}

/** Reads an RDB length; undefined when more bytes are needed. */
function readLength(buffer: Buffer, at: number): { value: number; encoded: boolean; next: number } | undefined {
  if (at >= buffer.length) return undefined;
  const first = buffer[at]!;
  const type = first >> 6;
  if (type === 0) return { value: first & 0x3f, encoded: false, next: at + 1 };
  if (type === 1) return at + 1 < buffer.length ? { value: ((first & 0x3f) << 8) | buffer[at + 1]!, encoded: false, next: at + 2 } : undefined;
  if (type === 3) return { value: first & 0x3f, encoded: true, next: at + 1 };
  if (first === 0x80) return at + 4 < buffer.length ? { value: buffer.readUInt32BE(at + 1), encoded: false, next: at + 5 } : undefined;
  if (first === 0x81) return at + 8 < buffer.length ? { value: Number(buffer.readBigUInt64BE(at + 1)), encoded: false, next: at + 9 } : undefined;
  throw new Error(`unknown RDB length encoding 0x${first.toString(16)} at byte ${at}`);
}

/** Reads an RDB string (plain or integer-encoded); undefined when more bytes are needed. */
function readString(buffer: Buffer, at: number): { value: string; next: number } | undefined {
  const length = readLength(buffer, at);
  if (!length) return undefined;
  if (length.encoded) {
    const sizes = [1, 2, 4];
    const size = sizes[length.value];
    if (size === undefined) throw new Error(`compressed strings in the RDB header are not expected (encoding ${length.value})`);
    if (length.next + size > buffer.length) return undefined;
    const value = size === 1 ? buffer.readInt8(length.next) : size === 2 ? buffer.readInt16LE(length.next) : buffer.readInt32LE(length.next);
    return { value: String(value), next: length.next + size };
  }
  if (length.next + length.value > buffer.length) return undefined;
  return { value: buffer.toString("latin1", length.next, length.next + length.value), next: length.next + length.value };
}

/**
 * The header of an RDB: magic, version and the auxiliary fields before the first database.
 * Undefined when `buffer` does not hold the whole header yet.
 */
export function parseRdbHeader(buffer: Buffer): RdbHeader | undefined {
  if (buffer.length < 9) return undefined;
  if (buffer.toString("latin1", 0, 5) !== RDB_MAGIC) throw new Error(`not an RDB file (it starts with ${JSON.stringify(buffer.toString("latin1", 0, 5))})`);
  const rdbVersion = Number(buffer.toString("latin1", 5, 9));
  const aux: Record<string, string> = {};
  let at = 9;
  while (at < buffer.length) {
    if (buffer[at] !== OPCODE_AUX) return { rdbVersion, aux };
    const key = readString(buffer, at + 1);
    if (!key) return undefined;
    const value = readString(buffer, key.next);
    if (!value) return undefined;
    aux[key.value] = value.value;
    at = value.next;
  }
  return undefined;
}

function isEofMark(bytes: Buffer): boolean {
  return bytes.length === EOF_MARK_BYTES && /^[0-9a-f]{40}$/.test(bytes.toString("latin1"));
}

/**
 * Passes an RDB through, parsing its header, holding back its last 40 bytes until the end
 * (to drop a leftover EOF mark) and failing the stream when it does not end like an RDB.
 */
export class RdbStream extends Transform {
  header?: RdbHeader;
  bytes = 0;
  private head = Buffer.alloc(0);
  private tail = Buffer.alloc(0);
  private lastNine = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      if (!this.header && this.head.length < HEADER_KEEP_BYTES) {
        this.head = Buffer.concat([this.head, chunk.subarray(0, HEADER_KEEP_BYTES - this.head.length)]);
        this.header = parseRdbHeader(this.head);
        if (this.header) this.head = Buffer.alloc(0);
      }
      const joined = Buffer.concat([this.tail, chunk]);
      const release = Math.max(0, joined.length - EOF_MARK_BYTES);
      this.tail = joined.subarray(release);
      if (release > 0) this.release(joined.subarray(0, release));
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (!isEofMark(this.tail)) this.release(this.tail);
    if (!this.header) return callback(new Error(`the stream ended after ${this.bytes} bytes without a complete RDB header`));
    if (this.lastNine.length < 9 || this.lastNine[0] !== OPCODE_EOF) return callback(new Error(`the RDB stream is truncated: it does not end with the EOF opcode and checksum (${this.bytes} bytes)`));
    callback();
  }

  private release(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.bytes += bytes.length;
    this.lastNine = Buffer.concat([this.lastNine, bytes]).subarray(-9);
    this.push(bytes);
  }
}
