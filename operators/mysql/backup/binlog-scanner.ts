import type { SegmentBounds, SegmentScanner } from "../../../backup/engine-backup.js";

/**
 * Reads MariaDB binary log event headers as the bytes stream past (to S3), keeping only what a
 * segment manifest needs: the first and last transaction times and the GTID state before and
 * after the file. Nothing of the payload is kept beyond one event header's worth of bytes.
 *
 * Binlog v4: 4 magic bytes (0xfe 'b' 'i' 'n'), then events, each with a 19-byte header:
 *   timestamp u32 LE | type u8 | server_id u32 LE | event_size u32 LE | log_pos u32 LE | flags u16 LE
 * event_size covers header, body and the CRC32 trailer when binlog_checksum is on.
 * MariaDB GTID_EVENT (162) body: seq_no u64 LE | domain_id u32 LE | flags ...
 * MariaDB GTID_LIST_EVENT (163) body: count u32 LE (low 28 bits) | count × (domain u32, server u32, seq u64)
 */
export const BINLOG_MAGIC = Buffer.from([0xfe, 0x62, 0x69, 0x6e]);
const HEADER = 19;
const FORMAT_DESCRIPTION_EVENT = 15;
const GTID_EVENT = 162;
const GTID_LIST_EVENT = 163;

export interface Gtid {
  domain: number;
  server: number;
  seq: bigint;
}

export function formatGtidList(gtids: Iterable<Gtid>): string {
  return [...gtids]
    .sort((a, b) => a.domain - b.domain)
    .map((gtid) => `${gtid.domain}-${gtid.server}-${gtid.seq}`)
    .join(",");
}

export function parseGtidList(text: string | undefined): Gtid[] {
  if (!text || !text.trim()) return [];
  return text.split(",").map((item) => {
    const match = /^\s*(\d+)-(\d+)-(\d+)\s*$/.exec(item);
    if (!match) throw new Error(`"${item}" is not a MariaDB GTID (domain-server-sequence)`);
    return { domain: Number(match[1]), server: Number(match[2]), seq: BigInt(match[3]!) };
  });
}

/** Per domain, the GTID with the highest sequence number of either list (GTID positions only move forward). */
export function mergeGtidLists(a: string | undefined, b: string | undefined): string {
  const byDomain = new Map<number, Gtid>();
  for (const gtid of [...parseGtidList(a), ...parseGtidList(b)]) {
    const current = byDomain.get(gtid.domain);
    if (!current || gtid.seq > current.seq) byDomain.set(gtid.domain, gtid);
  }
  return formatGtidList(byDomain.values());
}

export class BinlogScanner implements SegmentScanner {
  private header = Buffer.alloc(0);
  /** Bytes of the file consumed so far. */
  private offset = 0;
  /** Where the next event starts. */
  private nextEvent = 4;
  /** Bytes of the current event still to see, when we keep part of its body (GTID events). */
  private body: Buffer | undefined;
  private bodyType = 0;
  private bodyTimestamp = 0;
  private bodyServer = 0;
  private firstTransaction?: number;
  private lastTransaction?: number;
  private startList?: string;
  private readonly last = new Map<number, Gtid>();
  createdAt?: Date;
  transactions = 0;

  update(chunk: Buffer): void {
    let position = 0;
    while (position < chunk.length) {
      const absolute = this.offset + position;
      if (absolute < 4) {
        const take = Math.min(4 - absolute, chunk.length - position);
        for (let index = 0; index < take; index++) {
          if (chunk[position + index] !== BINLOG_MAGIC[absolute + index]) throw new Error("not a binary log: bad magic bytes");
        }
        position += take;
        continue;
      }
      if (absolute < this.nextEvent) {
        // Inside an event body we do not keep (or the part of a kept body).
        const end = Math.min(chunk.length, position + (this.nextEvent - absolute));
        if (this.body) this.collectBody(chunk.subarray(position, end), absolute);
        position = end;
        continue;
      }
      // At an event header: gather 19 bytes (they may span chunks).
      const take = Math.min(HEADER - this.header.length, chunk.length - position);
      this.header = Buffer.concat([this.header, chunk.subarray(position, position + take)]);
      position += take;
      if (this.header.length === HEADER) this.startEvent(absolute + take - HEADER);
    }
    this.offset += chunk.length;
  }

  private bodyStart = 0;
  private bodyFilled = 0;

  private startEvent(eventStart: number): void {
    const timestamp = this.header.readUInt32LE(0);
    const type = this.header[4]!;
    const server = this.header.readUInt32LE(5);
    const size = this.header.readUInt32LE(9);
    this.header = Buffer.alloc(0);
    if (size < HEADER) throw new Error(`corrupt binary log: event at ${eventStart} has size ${size}`);
    this.nextEvent = eventStart + size;
    this.body = undefined;
    if (type === FORMAT_DESCRIPTION_EVENT && this.createdAt === undefined && timestamp > 0) this.createdAt = new Date(timestamp * 1000);
    if (type === GTID_EVENT || (type === GTID_LIST_EVENT && this.startList === undefined)) {
      // GTID: 12 bytes; GTID list: 4 + 16 × count (small: one entry per replication domain).
      const keep = Math.min(size - HEADER, type === GTID_EVENT ? 12 : 4 + 16 * 64);
      this.body = Buffer.alloc(keep);
      this.bodyType = type;
      this.bodyTimestamp = timestamp;
      this.bodyServer = server;
      this.bodyStart = eventStart + HEADER;
      this.bodyFilled = 0;
      if (keep === 0) this.finishBody();
    }
  }

  private collectBody(part: Buffer, absolute: number): void {
    const body = this.body!;
    const from = absolute - this.bodyStart;
    if (from >= body.length) return;
    const slice = part.subarray(0, body.length - from);
    slice.copy(body, from);
    this.bodyFilled = from + slice.length;
    if (this.bodyFilled >= body.length) this.finishBody();
  }

  private finishBody(): void {
    const body = this.body!;
    this.body = undefined;
    if (this.bodyType === GTID_EVENT && body.length >= 12) {
      const gtid = { seq: body.readBigUInt64LE(0), domain: body.readUInt32LE(8), server: this.bodyServer };
      this.last.set(gtid.domain, gtid);
      this.transactions++;
      this.firstTransaction ??= this.bodyTimestamp;
      this.lastTransaction = this.bodyTimestamp;
    } else if (this.bodyType === GTID_LIST_EVENT && body.length >= 4) {
      const count = body.readUInt32LE(0) & 0x0fffffff;
      const list: Gtid[] = [];
      for (let index = 0; index < count && 4 + 16 * (index + 1) <= body.length; index++) {
        const at = 4 + 16 * index;
        list.push({ domain: body.readUInt32LE(at), server: body.readUInt32LE(at + 4), seq: body.readBigUInt64LE(at + 8) });
      }
      this.startList = formatGtidList(list);
    }
  }

  result(): SegmentBounds {
    const start = this.startList ?? "";
    return {
      firstEventAt: this.firstTransaction !== undefined ? new Date(this.firstTransaction * 1000) : undefined,
      lastEventAt: this.lastTransaction !== undefined ? new Date(this.lastTransaction * 1000) : undefined,
      startPosition: start,
      endPosition: mergeGtidLists(start, formatGtidList(this.last.values())),
    };
  }
}
