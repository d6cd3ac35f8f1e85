/**
 * The replay half of point in time for MongoDB (PointInTimeRecovery.replay): archived oplog
 * slices applied on top of a loaded base backup, up to the requested second.
 *
 * The planner of backup/ hands over every slice whose time overlaps the window, from every
 * stream (each member that was primary archived its part). Here the slices are planned again
 * by oplog position (planOplogReplay: from the base backup's oplog end, refusing a gap and a
 * window that ends too early), read in position order, and each entry is applied once: an
 * entry at or before the last applied position (a copy in another stream) is skipped.
 * Entries are applied in batches with applyOps on mongod; a server without applyOps
 * (FerretDB) gets the CRUD forms (applyOplogEntries), which cannot express `$v: 2` updates.
 */
import { createInterface } from "node:readline";
import { BSON, type Document, type MongoClient } from "mongodb";
import type { ArchivedSegment, ReplayOptions } from "../../../backup/engine-backup.js";
import type { BackupPosition } from "../../../backup/manifest.js";
import { formatOpTime, parseOpTime, planOplogReplay, replays, type SliceBounds } from "../oplog-slices.js";
import { compareOpTime, type OpTime } from "../status.js";
import { applyOplogEntries } from "./logical-dump.js";

/** Entries per applyOps command: well below the 16 MiB command limit for ordinary entries. */
export const BATCH = 500;

/** A slice's bounds from its manifest, named by stream and slice so copies from two members stay apart. */
export function sliceBoundsOf(segment: ArchivedSegment): SliceBounds | undefined {
  const { manifest } = segment;
  if (!manifest.startPosition || !manifest.endPosition) return undefined;
  return {
    name: `${manifest.stream}/${manifest.segment}`,
    start: parseOpTime(manifest.startPosition),
    end: parseOpTime(manifest.endPosition),
    firstWall: manifest.firstEventAt ? new Date(manifest.firstEventAt) : undefined,
    lastWall: manifest.lastEventAt ? new Date(manifest.lastEventAt) : undefined,
    entries: 0,
    bytes: manifest.data.size,
  };
}

export async function replayOplogSlices(client: MongoClient, segments: ArchivedSegment[], options: Pick<ReplayOptions, "from" | "stopAt" | "log" | "signal">): Promise<BackupPosition> {
  return replayEntries(segments, options, (batch) => applyOplogEntries(client, batch));
}

/**
 * The replay itself, with what applies a batch handed in (applyOplogEntries on a server):
 * entries after the base and up to the stop, user namespaces only, each once, in batches of
 * at most BATCH, in oplog order.
 */
export async function replayEntries(segments: ArchivedSegment[], options: Pick<ReplayOptions, "from" | "stopAt" | "log" | "signal">, apply: (batch: Document[]) => Promise<void>): Promise<BackupPosition> {
  const baseText = typeof options.from.oplogEnd === "string" ? options.from.oplogEnd : undefined;
  if (!baseText) throw new Error("the base backup has no oplog position (it was dumped from a server without an oplog), so no oplog can be replayed on top of it");
  const base = parseOpTime(baseText);
  const byName = new Map<string, ArchivedSegment>();
  const bounds: SliceBounds[] = [];
  for (const segment of segments) {
    const slice = sliceBoundsOf(segment);
    if (!slice) continue;
    byName.set(slice.name, segment);
    bounds.push(slice);
  }
  const plan = planOplogReplay(base, bounds, options.stopAt);
  if (!plan.ok) throw new Error(plan.reason);
  let applied: OpTime = base;
  let entries = 0;
  let batch: Document[] = [];
  const flush = async () => {
    if (batch.length > 0) await apply(batch);
    entries += batch.length;
    batch = [];
  };
  for (const slice of plan.slices) {
    if (options.signal.aborted) throw new Error("the replay was cancelled");
    const lines = createInterface({ input: await byName.get(slice.name)!.open(), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line) continue;
      const entry = BSON.EJSON.parse(line, { relaxed: false }) as Document;
      const ts = entry.ts as BSON.Timestamp;
      const position = { t: ts.t, i: ts.i };
      if (compareOpTime(position, applied) <= 0) continue;
      if (compareOpTime(position, plan.stop) > 0) break;
      if (replays({ ts: position, op: String(entry.op), ns: String(entry.ns) }, base, plan.stop)) batch.push(entry);
      applied = position;
      if (batch.length >= BATCH) await flush();
    }
    lines.close();
  }
  await flush();
  options.log.info({ entries, reached: formatOpTime(applied), slices: plan.slices.length }, "Replayed the archived oplog");
  return { summary: `oplog ${formatOpTime(applied)} (${entries} entries replayed up to ${options.stopAt.toISOString()})`, oplogEnd: formatOpTime(applied) };
}
