/**
 * Steward's MongoDB logical dump: one record per line, each line one MongoDB Extended JSON v2
 * document in CANONICAL mode (every BSON type kept exactly: Int32 vs Int64 vs Double,
 * Decimal128, binary subtypes, dates, timestamps). Not mongodump's archive format: this one is
 * produced and read through the `mongodb` driver, so it needs no tool in the agent image, and a
 * person can read it with `zstdcat | head`. Records, in this order:
 *
 *   {"kind":"header","format":"steward-mongodb-dump","version":1,"server":"7.0.14","startedAt":<date>,"oplogStart":<Timestamp>|null}
 *   {"kind":"collection","db":D,"name":C,"type":"collection"|"view","options":{...},"indexes":[...]}   once per collection, before its documents
 *   {"kind":"documents","db":D,"collection":C,"documents":[...]}                                    batches of up to 1,000 documents / ~1 MiB
 *   {"kind":"role","db":D,"role":{...}}                                                              user-defined roles of each database
 *   {"kind":"user","db":D,"user":{...}}                                                              users (name, roles; never credentials)
 *   {"kind":"oplog","entries":[...]}                                                                 oplog entries written while the dump ran
 *   {"kind":"trailer","oplogEnd":<Timestamp>|null,"collections":N,"documents":N,"checksums":[{"collection":"D.C","checksum":"..."}]}
 *
 * The trailer comes last: a stream without it is incomplete (cut off) and is refused on load.
 * Consistency is mongodump --oplog's: the data as of oplogEnd = the dump, then the oplog
 * entries from oplogStart (exclusive) to oplogEnd replayed over it.
 */
import { BSON, type Document } from "mongodb";
import { z } from "zod";

export const DUMP_FORMAT = "steward-mongodb-dump";
export const DUMP_VERSION = 1;
export const DUMP_CONTENT_TYPE = "application/x-ndjson";
export const DUMP_EXTENSION = ".ejson";

export const BATCH_DOCUMENTS = 1000;
export const BATCH_BYTES = 1024 * 1024;

const timestamp = z.custom<BSON.Timestamp>((value) => value instanceof BSON.Timestamp);
/** Lines are parsed in canonical mode (documents keep their exact types), so the record's own numbers arrive as Int32/Double/Long. */
const count = z.preprocess((value) => (value instanceof BSON.Int32 || value instanceof BSON.Double || value instanceof BSON.Long ? Number(value.valueOf()) : value), z.number());

export const dumpRecord = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("header"), format: z.literal(DUMP_FORMAT), version: count.pipe(z.literal(DUMP_VERSION)), server: z.string(), startedAt: z.date(), oplogStart: timestamp.nullable() }),
  z.object({ kind: z.literal("collection"), db: z.string(), name: z.string(), type: z.enum(["collection", "view", "timeseries"]), options: z.record(z.string(), z.unknown()), indexes: z.array(z.record(z.string(), z.unknown())) }),
  z.object({ kind: z.literal("documents"), db: z.string(), collection: z.string(), documents: z.array(z.record(z.string(), z.unknown())) }),
  z.object({ kind: z.literal("role"), db: z.string(), role: z.record(z.string(), z.unknown()) }),
  z.object({ kind: z.literal("user"), db: z.string(), user: z.record(z.string(), z.unknown()) }),
  z.object({ kind: z.literal("oplog"), entries: z.array(z.record(z.string(), z.unknown())) }),
  z.object({
    kind: z.literal("trailer"),
    oplogEnd: timestamp.nullable(),
    collections: count,
    documents: count,
    checksums: z.array(z.object({ collection: z.string(), checksum: z.string() })),
  }),
]);
export type DumpRecord = z.infer<typeof dumpRecord>;

/** One record as its line (with the newline). */
export function encodeRecord(record: DumpRecord): string {
  return `${BSON.EJSON.stringify(record as Document, { relaxed: false })}\n`;
}

export function decodeRecord(line: string, lineNumber: number): DumpRecord {
  let parsed: unknown;
  try {
    parsed = BSON.EJSON.parse(line, { relaxed: false });
  } catch (error) {
    throw new Error(`dump line ${lineNumber} is not Extended JSON: ${(error as Error).message}`, { cause: error });
  }
  const result = dumpRecord.safeParse(parsed);
  if (!result.success) throw new Error(`dump line ${lineNumber} is not a ${DUMP_FORMAT} record: ${result.error.issues[0]?.message ?? "invalid"}`);
  return result.data;
}

/** Splits documents into batches of at most BATCH_DOCUMENTS and about BATCH_BYTES each. */
export class DocumentBatcher {
  private documents: Document[] = [];
  private bytes = 0;

  /** Adds one; returns a full batch to write, if this one filled it. */
  add(document: Document): Document[] | undefined {
    this.documents.push(document);
    this.bytes += BSON.calculateObjectSize(document);
    return this.documents.length >= BATCH_DOCUMENTS || this.bytes >= BATCH_BYTES ? this.take() : undefined;
  }

  take(): Document[] | undefined {
    if (this.documents.length === 0) return undefined;
    const batch = this.documents;
    this.documents = [];
    this.bytes = 0;
    return batch;
  }
}
