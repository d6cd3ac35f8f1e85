/**
 * Tails `local.oplog.rs` of one member and cuts what it reads into slices (../oplog-slices.ts:
 * every 10 s or N MiB, whichever first), each handed to `onSlice` as canonical Extended JSON
 * lines (the dump format's encoding, one entry per line) with its bounds, for the archiver to
 * upload with a manifest. The tail resumes after the last archived entry; when the oplog no
 * longer holds it (rolled over while nothing archived), the gap is reported and the next slice
 * starts a new chain, so a restore never silently crosses it.
 *
 * The archiver (oplog-archiver.ts) runs it on the primary and uploads the slices.
 */
import { BSON, type Document, type MongoClient } from "mongodb";
import { OplogSlicer, justBefore, resumeGap, type OplogGap, type SliceBounds } from "../oplog-slices.js";
import { compareOpTime, type OpTime } from "../status.js";

const EXACT = { promoteValues: false, promoteLongs: false, bsonRegExp: true } as const;

export interface OplogSlice {
  bounds: SliceBounds;
  body: Buffer;
}

export interface TailOptions {
  /** The last archived entry (exclusive start), or where archiving begins. */
  resumeAfter: OpTime;
  /** false: resumeAfter is not an entry that was archived (a first start, or just after a gap), so it is not looked for in the oplog. */
  resumeChecked?: boolean;
  signal: AbortSignal;
  now(): Date;
  limits?: { maxAgeMs: number; maxBytes: number };
  /** How long one wait for new entries lasts before the open slice's age is checked. */
  idleWaitMs?: number;
  onSlice(slice: OplogSlice): Promise<void>;
  onGap(gap: OplogGap): Promise<void>;
  /** Called when the tail found nothing new: every entry before `openSince` (or before now, if nothing is open) has been handed over. */
  onIdle?(openSince: Date | undefined): void;
}

function opTimeOf(value: unknown): OpTime {
  if (!(value instanceof BSON.Timestamp)) throw new Error("an oplog entry without a ts Timestamp");
  return { t: value.t, i: value.i };
}

async function oldestEntry(client: MongoClient): Promise<OpTime | undefined> {
  const first = await client.db("local").collection("oplog.rs").find({}, { sort: { $natural: 1 }, limit: 1, projection: { ts: 1 } }).next();
  return first ? opTimeOf(first.ts) : undefined;
}

/** Tails until `signal` aborts; closes what is open then; returns the last entry handed over. */
export async function tailOplog(client: MongoClient, options: TailOptions): Promise<OpTime> {
  let resumeAfter = options.resumeAfter;
  const oldest = await oldestEntry(client);
  const gap = oldest && options.resumeChecked !== false ? resumeGap(resumeAfter, oldest) : undefined;
  if (gap && oldest) {
    await options.onGap(gap);
    // A new chain: its first slice starts just before the oldest entry still there, not at the last archived one.
    resumeAfter = justBefore(oldest);
  }
  const slicer = new OplogSlicer(resumeAfter, options.limits);
  let lines: string[] = [];
  let last = resumeAfter;
  const hand = async (bounds: SliceBounds | undefined) => {
    if (!bounds) return;
    const body = Buffer.from(lines.join(""), "utf8");
    lines = [];
    await options.onSlice({ bounds, body });
  };
  const idleWaitMs = options.idleWaitMs ?? 1000;
  const sleep = () => new Promise((resolve) => setTimeout(resolve, idleWaitMs));
  while (!options.signal.aborted) {
    // A tailable cursor whose first query finds nothing is dead at once (MongoDB's rule, and
    // FerretDB's): it is opened again after `last` until entries arrive.
    const cursor = client
      .db("local")
      .collection("oplog.rs")
      .find({ ts: { $gt: new BSON.Timestamp({ t: last.t, i: last.i }) } }, { tailable: true, awaitData: true, maxAwaitTimeMS: idleWaitMs, ...EXACT });
    const abort = () => void cursor.close().catch(() => undefined);
    options.signal.addEventListener("abort", abort, { once: true });
    try {
      while (!options.signal.aborted) {
        let entry: Document | null;
        try {
          entry = await cursor.tryNext();
        } catch (error) {
          if (options.signal.aborted) break;
          throw error;
        }
        if (!entry) {
          await hand(slicer.due(options.now()));
          options.onIdle?.(slicer.openSince());
          if (cursor.closed) break;
          continue;
        }
        const ts = opTimeOf(entry.ts);
        if (compareOpTime(ts, last) <= 0) continue;
        const wall = entry.wall instanceof Date ? entry.wall : undefined;
        lines.push(BSON.EJSON.stringify(entry, { relaxed: false }) + "\n");
        last = ts;
        await hand(slicer.add({ ts, wall, bytes: BSON.calculateObjectSize(entry) }, options.now()));
      }
    } finally {
      options.signal.removeEventListener("abort", abort);
      await cursor.close().catch(() => undefined);
    }
    if (!options.signal.aborted) await sleep();
  }
  await hand(slicer.flush());
  return last;
}
